#!/usr/bin/env python3
"""Writes the labelled grouping sets for the failure classes of short word
variables, variable first tokens and variable lengths
(monitor-runtime/tests/data/*.tsv). Deterministic: the same files each run.

Each line is `label<TAB>message`; messages of one label come from one logging
statement. Closed sets of words that are part of distinct statements (states,
methods, outcomes) are repeated as a real service repeats them, and must stay
apart."""

import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "monitor-runtime" / "tests" / "data"
rng = random.Random(20261203)

USERS = ["root", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
         "oscar", "peggy", "trent", "victor", "walter", "admin", "guest", "backup", "postgres", "www-data", "nagios",
         "oracle", "test", "ubuntu", "git", "deploy", "jenkins", "svc-billing"]
HOSTS = ["db-east", "db-west", "cache-primary", "cache-replica", "ledger-api", "mail-relay", "auth-gw", "kafka-broker",
         "search-node", "payments-edge", "vault", "nfs-archive", "ldap-master", "ldap-slave", "proxy-north"]
PROGRAMS = ["sshd", "cron", "nginx", "postfix", "systemd", "dockerd", "kubelet", "rsyslogd", "named", "ntpd"]
SERVICES = ["billing", "ledger", "payroll", "invoicing", "reporting", "archive", "notifications", "search",
            "documents", "accounts"]
WORDS = ["timeout", "malformed header", "unexpected end of stream", "checksum mismatch in trailer",
         "peer sent an empty frame", "unsupported media type", "missing field amount", "duplicate idempotency key",
         "signature expired", "unknown currency code in line item", "invalid IBAN", "too many requests"]
FIELDS = ["iban", "bic", "amount", "currency", "reference", "debtor", "creditor", "mandate", "purpose",
          "remittance", "due_date", "batch"]


def pick(pool):
    # A few values are frequent, as root or a main host is in real logs.
    return pool[0] if rng.random() < 0.3 else rng.choice(pool)


def short_word_variables():
    rows = []
    for _ in range(600):
        kind = rng.randrange(9)
        if kind == 0:
            rows.append(("session_opened", f"session opened for user {pick(USERS)}"))
        elif kind == 1:
            rows.append(("session_closed", f"session closed for user {pick(USERS)}"))
        elif kind == 2:
            rows.append(("invalid_user", f"Invalid user {pick(USERS)} from 10.0.{rng.randrange(255)}.{rng.randrange(255)}"))
        elif kind == 3:
            rows.append(("resolve_host", f"cannot resolve host {pick(HOSTS)}"))
        elif kind == 4:
            rows.append(("service_down", f"service {pick(SERVICES)} is unavailable"))
        elif kind == 5:
            rows.append(("restart_program", f"restarting {pick(PROGRAMS)} after an unexpected exit"))
        elif kind == 6:
            # A closed set of states: each is its own statement.
            state = rng.choice(["Paused", "Resumed", "Started", "Stopped"])
            rows.append((f"vm_{state.lower()}", f"VM {state} (Lifecycle Event)"))
        elif kind == 7:
            outcome = rng.choice(["refused", "reset", "aborted"])
            rows.append((f"connection_{outcome}", f"connection {outcome}"))
        else:
            method = rng.choice(["GET", "POST", "DELETE"])
            rows.append((f"request_{method.lower()}", f"{method} request to the ledger failed with status 503"))
    return rows


def variable_first():
    rows = []
    for _ in range(500):
        kind = rng.randrange(6)
        if kind == 0:
            rows.append(("program_connected", f"{pick(PROGRAMS)}: connected to {pick(HOSTS)}"))
        elif kind == 1:
            rows.append(("host_unreachable", f"{pick(HOSTS)} is unreachable, retrying in {rng.randrange(1, 60)}s"))
        elif kind == 2:
            rows.append(("user_logged_out", f"{pick(USERS)} logged out after the idle timeout"))
        elif kind == 3:
            rows.append(("service_error", f"{pick(SERVICES)} returned an error for the balance query"))
        elif kind == 4:
            verb = rng.choice(["Started", "Stopped", "Reloaded"])
            rows.append((f"unit_{verb.lower()}", f"{verb} the network time service"))
        else:
            rows.append(("program_exited", f"{pick(PROGRAMS)}[{rng.randrange(100, 9999)}]: exited with status {rng.randrange(0, 3)}"))
    return rows


def variable_length():
    rows = []
    for _ in range(500):
        kind = rng.randrange(6)
        if kind == 0:
            rows.append(("config_parse", f"failed to parse the configuration file: {rng.choice(WORDS)}"))
        elif kind == 1:
            rows.append(("payment_rejected", f"payment rejected by the clearing house: {rng.choice(WORDS)}"))
        elif kind == 2:
            fields = ", ".join(rng.sample(FIELDS, rng.randrange(1, 6)))
            rows.append(("unknown_fields", f"unknown fields in the payment order: {fields}"))
        elif kind == 3:
            fields = " ".join(rng.sample(FIELDS, rng.randrange(2, 6)))
            rows.append(("missing_fields", f"the import skipped rows missing {fields}"))
        elif kind == 4:
            rows.append(("queue_drained", "the outbound queue was drained"))
        else:
            rows.append(("archive_full", "the archive volume is full"))
    return rows


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in [("short_word_variables", short_word_variables()), ("variable_first", variable_first()),
                       ("variable_length", variable_length())]:
        with open(OUT / f"{name}.tsv", "w", encoding="utf-8") as out:
            out.write(f"# label<TAB>message, written by scripts/grouping_sets.py\n")
            for label, message in rows:
                out.write(f"{label}\t{message}\n")


if __name__ == "__main__":
    main()
