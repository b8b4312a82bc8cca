#!/usr/bin/env python3
"""Grouping accuracy and speed of the Drain3 parser on Loghub-2k, for comparison.

Usage: pip install drain3==0.9.11 && python3 scripts/drain3_ga.py [LOGHUB_DIR]

Runs Drain3 online over each system's messages with one generic configuration,
twice: as shipped (no masking) and with the masking its documentation suggests
(IPs, hex, numbers). Prints GA per system, the average, and messages per second,
then GA on the repository's own labelled sets.
"""
import collections
import csv
import os
import sys
import time

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig


def grouping_accuracy(predicted, truth):
    predicted_sizes = collections.Counter(predicted)
    truth_sizes = collections.Counter(truth)
    pairs = collections.Counter(zip(predicted, truth))
    correct = sum(n for (p, t), n in pairs.items() if predicted_sizes[p] == n and truth_sizes[t] == n)
    return correct / len(truth) if truth else 1.0


def miner(masking):
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    if masking:
        config.masking_instructions = [
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(0x[a-fA-F0-9]+)((?=[^A-Za-z0-9])|$)", "HEX"),
            MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
        ]
    return TemplateMiner(config=config)


def main():
    default = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "loghub-2k")
    folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MONITOR_LOGHUB_DIR", default)
    systems = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    for masking in (False, True):
        label = "Drain3 0.9.11, masking" if masking else "Drain3 0.9.11, as shipped"
        total_ga, total_messages, total_seconds = 0.0, 0, 0.0
        print(f"{label}:")
        for system in systems:
            path = os.path.join(folder, system, f"{system}_2k.log_structured.csv")
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            template_miner = miner(masking)
            started = time.perf_counter()
            predicted = [template_miner.add_log_message(r["Content"])["cluster_id"] for r in rows]
            seconds = time.perf_counter() - started
            ga = grouping_accuracy(predicted, [r["EventId"] for r in rows])
            total_ga += ga
            total_messages += len(rows)
            total_seconds += seconds
            print(f"  {system:<12} GA {ga:.4f}  {len(rows) / seconds:,.0f} messages/s")
        print(f"  {'average':<12} GA {total_ga / len(systems):.4f}  {total_messages / total_seconds:,.0f} messages/s")
        # The repository's own labelled sets (label<TAB>message per line).
        data = os.path.join(os.path.dirname(__file__), "..", "monitor-runtime", "tests", "data")
        for name in ("rust_service_errors", "short_word_variables", "variable_first", "variable_length"):
            with open(os.path.join(data, f"{name}.tsv"), encoding="utf-8") as f:
                rows = [line.rstrip("\n").split("\t", 1) for line in f if not line.startswith("#") and "\t" in line]
            template_miner = miner(masking)
            predicted = [template_miner.add_log_message(message)["cluster_id"] for _, message in rows]
            ga = grouping_accuracy(predicted, [label for label, _ in rows])
            print(f"  {name:<22} GA {ga:.4f}")


if __name__ == "__main__":
    main()
