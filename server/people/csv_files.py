"""Spreadsheet files in and out (pure): decoding uploads, reading rows, writing safe CSV.

Uploads come from school registers exported by whatever was at hand: UTF-8 with or without a
byte-order mark, UTF-16 ("Unicode text"), or Windows/Latin-1; commas or semicolons. Exports are
opened in spreadsheets, so a cell that starts like a formula (=, +, -, @, tab, CR) is written with
a leading apostrophe and shows as the text it is, instead of running ("CSV injection").
"""
import csv
import io

from server.errors import InvalidInput

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_START)
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 2000


def neutralize(value):
    """A cell value that a spreadsheet shows as text, never runs: numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: list[list]) -> bytes:
    """Rows as CSV bytes (UTF-8 with a byte-order mark, so spreadsheets read accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # Text cells are checked inline (an export is tens of thousands of rows); others via `neutralize`.
    writer.writerows([("'" + value if value[:1] in FORMULA_FIRST else value) if type(value) is str
                      else neutralize(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def decode_upload(data: bytes) -> str:
    """The text of an uploaded CSV file, whichever common encoding it was saved in."""
    if not data.strip():
        raise InvalidInput("The file is empty.", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("The file is larger than 1 MB. Please split it into smaller files.", field="file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if b"\x00" in data:
        raise InvalidInput("This is not a CSV text file. In the spreadsheet, choose “Save as… CSV”.",
                           field="file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Windows' Latin-1: what most register exports are
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(spreadsheet row number, cells)]) with blank rows left out; ',' ';' or tab separated."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, [])
        rows = []
        for number, cells in enumerate(reader, start=2):  # the row number a spreadsheet shows
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS} rows. Please split it.", field="file")
    except csv.Error as err:
        raise InvalidInput(f"Row {reader.line_num} could not be read: {err}.", field="file") from None
    return [cell.strip() for cell in header], rows
