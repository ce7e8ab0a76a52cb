"""Write municipal delivery files for tests, in every variant the contract allows (and some it
does not): CSV with `;` or `,`, UTF-8 with or without BOM, Windows-1252, CRLF, no final line
ending, XLSX with typed cells and a header further down the sheet.

Rows are given as dicts of cell texts (or typed values for XLSX); `row()` fills in a valid row of
each source, so a test changes only the cells it is about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HEADERS: dict[str, list[str]] = {
    "uitkeringen": [
        "client_id",
        "huishouden_id",
        "geboortejaar",
        "postcode",
        "huisnummer",
        "huisletter",
        "huisnummertoevoeging",
        "x",
        "y",
        "regeling",
        "ingangsdatum",
        "einddatum",
        "reden_einde",
    ],
    "verzuim": [
        "melding_id",
        "leerling_id",
        "geboortedatum",
        "postcode",
        "huisnummer",
        "huisletter",
        "huisnummertoevoeging",
        "x",
        "y",
        "meldingsdatum",
        "soort_verzuim",
        "brin",
    ],
    "leerplichtigen": ["gebied_code", "aantal"],
    "incidenten": ["incident_id", "datum", "categorie", "x", "y", "lat", "lon", "buurtcode"],
    "pc6_buurt": ["PC6", "Huisnummer", "Buurt2023", "Wijk2023", "Gemeente2023"],
}

# One valid row per source, for the periods the tests use: uitkeringen_2023-12,
# verzuim_2022-2023, leerplichtigen_2022-2023, incidenten_2023-05, pc6 2023; gemeente GM1916.
DEFAULTS: dict[str, dict[str, str]] = {
    "uitkeringen": {
        "client_id": "C0001",
        "huishouden_id": "H0001",
        "geboortejaar": "1980",
        "postcode": "2262AB",
        "huisnummer": "12",
        "regeling": "PW",
        "ingangsdatum": "2021-03-01",
    },
    "verzuim": {
        "melding_id": "M0001",
        "leerling_id": "L0001",
        "geboortedatum": "2010-05-15",
        "postcode": "2262AB",
        "huisnummer": "12",
        "meldingsdatum": "2022-10-03",
        "soort_verzuim": "RELATIEF",
        "brin": "12AB",
    },
    "leerplichtigen": {"gebied_code": "BU19160201", "aantal": "120"},
    "incidenten": {
        "incident_id": "I0001",
        "datum": "2023-05-14 22:15",
        "categorie": "JEUGDOVERLAST",
        "x": "84123,5",
        "y": "455321",
    },
    "pc6_buurt": {
        "PC6": "2262AB",
        "Huisnummer": "12",
        "Buurt2023": "19160201",
        "Wijk2023": "191602",
        "Gemeente2023": "1916",
    },
}


def row(source: str, **cells: Any) -> dict[str, Any]:
    """A valid row of `source` with `cells` changed (None: leave the cell empty)."""
    out: dict[str, Any] = dict(DEFAULTS[source])
    out.update(cells)
    return out


def rows(source: str, n: int, **cells: Any) -> list[dict[str, Any]]:
    """`n` valid rows with distinct keys (client_id / melding_id / ...)."""
    key = {
        "uitkeringen": "client_id",
        "verzuim": "melding_id",
        "incidenten": "incident_id",
    }.get(source)
    if key is None:
        raise ValueError(f"rows() makes distinct keys only for person/event sources, not {source}")
    return [row(source, **{key: f"K{i:06d}"}, **cells) for i in range(n)]


def _cells(header: Sequence[str], record: dict[str, Any]) -> list[Any]:
    return [record.get(name) for name in header]


def csv_text(
    header: Sequence[str],
    records: Iterable[dict[str, Any] | Sequence[Any]],
    *,
    sep: str = ";",
    line_ending: str = "\n",
    final_newline: bool = True,
    quote: bool = False,
) -> str:
    """The text of a CSV file; a record that is a list is written as given (any field count)."""

    def field(v: Any) -> str:
        text = "" if v is None else str(v)
        if quote or sep in text or '"' in text or "\n" in text:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [sep.join(field(h) for h in header)]
    for rec in records:
        cells = _cells(header, rec) if isinstance(rec, dict) else list(rec)
        lines.append(sep.join(field(c) for c in cells))
    return line_ending.join(lines) + (line_ending if final_newline else "")


def write_csv(
    path: Path,
    header: Sequence[str],
    records: Iterable[dict[str, Any] | Sequence[Any]],
    *,
    sep: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
    line_ending: str = "\n",
    final_newline: bool = True,
    quote: bool = False,
) -> Path:
    text = csv_text(
        header, records, sep=sep, line_ending=line_ending, final_newline=final_newline, quote=quote
    )
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_delivery(
    folder: Path, name: str, source: str, records: Iterable[dict[str, Any]], **kwargs: Any
) -> Path:
    """A delivery of `source` with the standard header, as CSV or XLSX by the name's suffix."""
    if name.endswith(".xlsx"):
        return write_xlsx(folder / name, HEADERS[source], records, **kwargs)
    return write_csv(folder / name, HEADERS[source], records, **kwargs)


def write_xlsx(
    path: Path,
    header: Sequence[Any] | None,
    records: Iterable[dict[str, Any] | Sequence[Any]],
    *,
    first_row: int = 1,
    first_column: int = 1,
    text_columns: Sequence[str] = (),
) -> Path:
    """An XLSX with one sheet; cell values are written with their Python type (int, float,
    date, str). `header` None writes no header row. `text_columns` get the Excel text format."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Blad1"
    r = first_row
    if header is not None:
        for j, name in enumerate(header):
            sheet.cell(row=r, column=first_column + j, value=name)
        r += 1
    for rec in records:
        cells = _cells(header or [], rec) if isinstance(rec, dict) else list(rec)
        for j, value in enumerate(cells):
            cell = sheet.cell(row=r, column=first_column + j, value=value)
            if header is not None and header[j] in text_columns:
                cell.number_format = "@"
        r += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
