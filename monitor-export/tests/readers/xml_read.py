"""Parses an XML export with lxml (which rejects any malformed document) and
prints its title, filters and records as JSON; a field marked null="true"
reads as null."""
import json
import sys

from lxml import etree

root = etree.parse(sys.argv[1]).getroot()
records = []
for record in root.iter("record"):
    fields = {}
    for child in record:
        fields[child.tag] = None if child.get("null") == "true" else (child.text or "")
    records.append(fields)
print(json.dumps({
    "root": root.tag,
    "title": root.get("title"),
    "filters": [[f.get("name"), f.get("value")] for f in root.iter("filter")],
    "records": records,
}))
