"""Reads a JSON export (or, with --lines, an NDJSON one) with Python's json
module and prints it again as one JSON array."""
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    if "--lines" in sys.argv[2:]:
        rows = [json.loads(line) for line in f if line.strip()]
    else:
        rows = json.load(f)
print(json.dumps(rows))
