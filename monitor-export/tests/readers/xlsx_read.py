"""Opens an xlsx export with openpyxl and prints, as JSON, every sheet's
name and cell values (dates as ISO 8601 text, numbers as numbers) and
whether each sheet's first row is bold."""
import datetime
import json
import re
import sys

import openpyxl


# Office Open XML stores characters such as a carriage return as _xHHHH_
# (and a literal "_x" sequence as _x005F_): Excel decodes them on reading,
# openpyxl does not, so this reader does it as Excel does.
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def value(cell):
    v = cell.value
    if isinstance(v, str):
        return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), v)
    if isinstance(v, datetime.datetime):
        return {"datetime": v.isoformat(timespec="milliseconds")}
    return v


book = openpyxl.load_workbook(sys.argv[1])
sheets = []
for sheet in book.worksheets:
    rows = [[value(c) for c in row] for row in sheet.iter_rows()]
    first = next(sheet.iter_rows(max_row=1), ())
    sheets.append({
        "name": sheet.title,
        "rows": rows,
        "header_bold": bool(first) and all(c.font.b for c in first if c.value is not None),
    })
print(json.dumps(sheets))
