"""Read the municipality's own deliveries (sources.md sections 3 and 4) exactly as delivered.

One reader for every declared source (checks/deliveries/<source>.py gives the header names,
the required ones, the aliases and the period rule): CSV with `;` or `,`, UTF-8 with or without BOM or Windows-1252, or XLSX (first
sheet). Every cell comes back as a string (NA for empty), header names stripped and lower-cased,
with the line number of every row, so that the contract in `checks.municipal` can quarantine a row
by file and line. A file that cannot be read as a whole raises `UnreadableInput`; rows that are
merely wrong (too few or too many fields in the middle of a file) are kept, with their field count
in `_fields`, for the checks to quarantine. No business rules here: codes, dates and numbers stay
text.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from checks.deliveries import DECLARATIONS, declaration
from sources.config import DELIVERY_SOURCES
from sources.errors import UnreadableInput

SOURCES = DELIVERY_SOURCES
FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
FIELDS_COLUMN = "_fields"  # number of fields the row really had (CSV); header width for XLSX
LINE_COLUMN = "line"


@dataclass(frozen=True)
class SourceColumns:
    """The header contract of one source: known names, required ones, and groups of which at
    least one must be complete (an address or coordinates)."""

    known: tuple[str, ...]
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()


COLUMNS: dict[str, SourceColumns] = {
    source: SourceColumns(known=d.known, required=d.required, one_of=d.one_of)
    for source, d in DECLARATIONS.items()
}

_NAME_YEAR = re.compile(r"(20\d{2})")
_MONTH_PERIOD = re.compile(r"^_?(\d{4})-(\d{2})(?!\d)")
_SCHOOL_PERIOD = re.compile(r"^_?(\d{4})-(\d{4})(?!\d)")
_YEAR_PERIOD = re.compile(r"^_?(\d{4})(?!\d)")
# Signatures of files that are not text, whatever their name says.
_SIGNATURES = (
    (b"PK\x03\x04", "it looks like an XLSX (ZIP) file, not CSV text"),
    (b"\xd0\xcf\x11\xe0", "it looks like an old Excel .xls file, not CSV text"),
    (b"%PDF", "it looks like a PDF file, not CSV text"),
    (b"\xff\xfe", "it looks like UTF-16 text; deliver UTF-8 or Windows-1252"),
    (b"\xfe\xff", "it looks like UTF-16 text; deliver UTF-8 or Windows-1252"),
)


@dataclass
class DeliveryFile:
    """One delivered file as read: every cell a string, plus `line` and `_fields`."""

    source: str
    path: Path
    period: str  # '2023-12', '2022-2023', or '2023' (a year: enquete, pc6_buurt)
    sha256: str
    format: str  # 'csv' | 'xlsx'
    encoding: str | None  # 'utf-8', 'utf-8-sig', 'cp1252' (None for xlsx)
    separator: str | None  # ';' or ',' (None for xlsx)
    # The rows, or None for a file opened with `open_delivery`: its rows are read again, in
    # pieces, by `frames`; a large delivery is then never held whole.
    frame: pd.DataFrame | None
    rows: int | None = None  # the number of rows (set by open_delivery)

    @property
    def rows_read(self) -> int:
        return len(self.frame) if self.frame is not None else int(self.rows or 0)

    def frames(self) -> Iterator[pd.DataFrame]:
        """The rows in pieces (see `CHUNK_BYTES`): the frame itself when it was read whole,
        else the file read again, which must still be the file that was opened."""
        if self.frame is not None:
            yield self.frame
            return
        reading = _read(self.path, self.source)
        if reading.sha256 != self.sha256:
            raise UnreadableInput(self.path, "the file changed while the build was reading it")
        yield from reading.frames


@dataclass(frozen=True)
class RefusedReplacement:
    """A re-delivery not taken: it has no rows, or far fewer than the file it would replace."""

    refused: Path
    kept: Path
    refused_rows: int
    kept_rows: int

    def message(self) -> str:
        marker = confirmation_marker(self.refused)
        return (
            f"{self.refused}: not used, {self.kept.name} is kept: the re-delivery has "
            f"{self.refused_rows} rows where {self.kept.name} has {self.kept_rows}. If the new "
            f"file is right, confirm it by creating {marker.name} next to it"
        )


@dataclass
class DeliverySet:
    current: list[Path]  # one file per period: the latest by name (unless refused)
    superseded: list[tuple[Path, Path]]  # (older file, the file that replaces it)
    # Files in the folder that look like deliveries but whose period cannot be told, with why.
    unrecognised: list[tuple[Path, str]] = field(default_factory=list)
    # Re-deliveries that would have shrunk their period (see shrinks): the earlier file stays.
    refused: list[RefusedReplacement] = field(default_factory=list)


CONFIRMED_SUFFIX = ".confirmed"
DEFAULT_MAX_SHRINK = 0.5


def confirmation_marker(path: Path) -> Path:
    """`uitkeringen_2024-12_v2.csv` -> `uitkeringen_2024-12_v2.csv.confirmed`: the operator's
    word that this re-delivery may replace the earlier file although it has far fewer rows."""
    return path.with_name(path.name + CONFIRMED_SUFFIX)


def shrinks(earlier_rows: int, rows: int, max_shrink: float = DEFAULT_MAX_SHRINK) -> bool:
    """Whether a re-delivery of `rows` rows may not silently replace one of `earlier_rows`:
    it has none, or lost more than `max_shrink` (a fraction) of them."""
    if earlier_rows <= 0:
        return False
    return rows == 0 or rows < earlier_rows * (1 - max_shrink)


# --------------------------------------------------------------------------- file names


def _check_source(source: str) -> None:
    declaration(source)  # ValueError naming the known sources


def delivery_period(path: Path, source: str) -> str:
    """The period a delivery file is for, from its name (pc6_buurt: from its header first).

    `uitkeringen_2023-12_v2.csv` -> '2023-12'; `verzuim_2022-2023.xlsx` -> '2022-2023';
    `pc6hnr20230801_gwb.csv` -> '2023'. Raises UnreadableInput when there is none."""
    _check_source(source)
    path = Path(path)
    name = path.name
    d = declaration(source)
    kind = d.period
    if kind == "header_year":
        year = _header_year(path, source)
        if year is not None:
            return str(year)
        m = _NAME_YEAR.search(name)
        if m is None:
            raise UnreadableInput(
                path, "no year in the header (Buurt<jaar>) nor in the file name of this pc6 file"
            )
        return m.group(1)
    prefix = source + "_"
    if not name.lower().startswith(prefix):
        raise UnreadableInput(path, f"file name does not start with '{prefix}'")
    rest = name[len(source) :]
    if kind == "year":
        m = _YEAR_PERIOD.match(rest)
        if m is None:
            raise UnreadableInput(path, f"no year in the file name (expected {source}_YYYY)")
        return m.group(1)
    if kind == "month":
        m = _MONTH_PERIOD.match(rest)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise UnreadableInput(path, f"no month in the file name (expected {source}_YYYY-MM)")
        return f"{m.group(1)}-{m.group(2)}"
    m = _SCHOOL_PERIOD.match(rest)
    if m is None:
        raise UnreadableInput(
            path, f"no school year in the file name (expected {source}_YYYY-YYYY)"
        )
    start, end = int(m.group(1)), int(m.group(2))
    if end != start + 1:
        raise UnreadableInput(path, f"school year {start}-{end} in the file name is not one year")
    return f"{start}-{end}"


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    # `_v10` sorts after `_v2`, as in a file explorer.
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name.lower()) if p]


def _is_candidate(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith((".", "~$"))
        and not name.endswith(".partial")
        and path.suffix.lower() in FORMATS
    )


def find_deliveries(
    folder: Path,
    source: str,
    rows: Callable[[Path], int] | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
) -> DeliverySet:
    """The files of `source` in `folder`, one per period (the latest name wins).

    Hidden files, Excel lock files (`~$...`), `*.partial` and other extensions are ignored; a
    CSV/XLSX whose period cannot be told is listed in `unrecognised` with the reason.

    With `rows` (how many rows a file has), a re-delivery that `shrinks` the file it replaces
    is not taken unless confirmed (`confirmation_marker`): the earlier file stays current and
    the refusal is listed in `refused`. A file that cannot be read raises UnreadableInput
    from `rows`, except an earlier one, which any readable re-delivery replaces."""
    _check_source(source)
    folder = Path(folder)
    result = DeliverySet(current=[], superseded=[])
    if not folder.is_dir():
        return result
    by_period: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir(), key=lambda p: _natural_key(p.name)):
        if not _is_candidate(path):
            continue
        try:
            period = delivery_period(path, source)
        except UnreadableInput as exc:
            result.unrecognised.append((path, exc.problem))
            continue
        by_period.setdefault(period, []).append(path)
    for period in sorted(by_period):
        files = sorted(by_period[period], key=lambda p: _natural_key(p.name))
        chosen = len(files) - 1
        while rows is not None and chosen > 0:
            new, earlier = files[chosen], files[chosen - 1]
            if confirmation_marker(new).exists():
                break
            new_rows = rows(new)
            try:
                earlier_rows = rows(earlier)
            except UnreadableInput:
                break
            if not shrinks(earlier_rows, new_rows, max_shrink):
                break
            result.refused.append(RefusedReplacement(new, earlier, new_rows, earlier_rows))
            chosen -= 1
        latest = files[chosen]
        result.current.append(latest)
        result.superseded.extend((older, latest) for older in files[:chosen])
    return result


# --------------------------------------------------------------------------- headers


def _normalise_header(names: list[str], source: str) -> tuple[list[str], set[int]]:
    """Stripped, lower-cased names (pc6: CBS names without their year); and the years seen."""
    d = declaration(source)
    year_columns = _year_suffixed(source)
    out: list[str] = []
    years: set[int] = set()
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip().lower()
        if name in (LINE_COLUMN, FIELDS_COLUMN):
            name = f"_delivered_{name}"  # our own columns; a delivered one is kept aside
        m = year_columns.match(name) if year_columns else None
        if m:
            name = m.group(1)
            years.add(int(m.group(2)))
        name = d.header_aliases.get(name, name)
        out.append(name or f"_column_{i}")
    return out, years


def _check_header(path: Path, source: str, header: list[str], where: str) -> None:
    spec = COLUMNS[source]
    present = set(header)
    if not present & set(spec.known):
        raise UnreadableInput(
            path,
            f"no header: {where} has none of the column names of {source} "
            f"({', '.join(spec.required)})",
        )
    dupes = sorted({h for h in header if header.count(h) > 1 and not h.startswith("_column_")})
    if dupes:
        raise UnreadableInput(path, f"duplicate column {_names(dupes)} in the header")
    missing = [c for c in spec.required if c not in present]
    if missing:
        word = "column" if len(missing) == 1 else "columns"
        raise UnreadableInput(path, f"missing required {word} {_names(missing)} for {source}")
    if spec.one_of and not any(all(c in present for c in group) for group in spec.one_of):
        options = " or ".join("+".join(group) for group in spec.one_of)
        raise UnreadableInput(
            path, f"missing required columns for {source}: needs {options} (none complete)"
        )


def _names(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _year_suffixed(source: str) -> re.Pattern | None:
    """The header names that may carry a year (`Buurt2023`): the declaration's year_suffixed
    columns."""
    names = [c.name for c in declaration(source).columns if c.year_suffixed]
    if not names:
        return None
    return re.compile(rf"^({'|'.join(map(re.escape, names))})[ _]?(20\d{{2}})$")


def _header_year(path: Path, source: str) -> int | None:
    """The year of the `Buurt<jaar>` header column, read cheaply; None if not there or unreadable."""
    try:
        if path.suffix.lower() == ".xlsx":
            header = _xlsx_first_row(path)
        else:
            with open(path, "rb") as fh:
                head = fh.read(65536)
            text = _decode(path, head, partial=True)[0]
            first = next((ln for ln in text.splitlines() if ln.strip()), "")
            header = re.split(r"[;,]", first)
    except (UnreadableInput, OSError):
        return None
    _, years = _normalise_header([h.strip().strip('"') for h in header], source)
    return years.pop() if len(years) == 1 else None


# --------------------------------------------------------------------------- reading


def read_delivery(path: Path, source: str) -> DeliveryFile:
    """Read one delivery file completely, or raise UnreadableInput naming the problem.

    A CSV file is read in pieces of about `CHUNK_BYTES` (see `_scan_csv`), so that reading
    a large delivery costs little more than the frame it gives."""
    reading = _read(path, source)
    if reading.tables is None:
        frame = next(reading.frames)
    else:
        frame = _frame_from_tables(list(reading.tables), reading.header)
    return reading.delivery(frame, len(frame))


def open_delivery(path: Path, source: str) -> DeliveryFile:
    """A delivery file checked as `read_delivery` checks it and its rows counted, without
    keeping them: `DeliveryFile.frames` reads them again, piece by piece. Raises
    UnreadableInput as `read_delivery` does."""
    reading = _read(path, source)
    rows = 0
    for piece in reading.frames:
        rows += len(piece)
        del piece
    return reading.delivery(None, rows)


@dataclass
class _Reading:
    """A delivery file whose header is checked; its rows follow in `frames` (pieces)."""

    source: str
    path: Path
    period: str
    sha256: str
    format: str
    encoding: str | None
    separator: str | None
    header: list[str]
    whole: pd.DataFrame | None  # the rows of a file read whole (quoted CSV, XLSX)
    tables: Iterator[pa.Table] | None  # else the rows' pieces (`_simple_pieces`)

    @property
    def frames(self) -> Iterator[pd.DataFrame]:
        """The rows as frames: at least one, empty for a file without rows."""
        if self.tables is None:
            yield self.whole
            return
        empty = True
        for table in self.tables:
            empty = False
            yield _frame_from_tables([table], self.header)
        if empty:
            yield _frame_from_tables([], self.header)

    def delivery(self, frame: pd.DataFrame | None, rows: int) -> DeliveryFile:
        return DeliveryFile(
            source=self.source,
            path=self.path,
            period=self.period,
            sha256=self.sha256,
            format=self.format,
            encoding=self.encoding,
            separator=self.separator,
            frame=frame,
            rows=rows,
        )


def _read(path: Path, source: str) -> _Reading:
    """Check a delivery's bytes and header; its rows come in pieces from `frames` (a CSV
    without quotes and bare CRs: one piece per `CHUNK_BYTES` of text; any other file: one
    piece). A problem found in the rows (a truncated last line) raises while they are read."""
    _check_source(source)
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableInput(path, f"unsupported file type '{path.suffix}' (use .csv or .xlsx)")
    if fmt == "xlsx":
        data = _read_bytes(path)
        if not data.strip():
            raise UnreadableInput(path, "empty file")
        sha = hashlib.sha256(data).hexdigest()
        frame, years = _read_xlsx(path, data, source)
        del data
        encoding = separator = None
        header, tables = _header_of(frame), None
    else:
        scan = _scan_csv(path)
        sha, encoding = scan.sha256, scan.encoding
        if scan.simple:
            header, years, separator, tables = _read_simple_csv(path, encoding, source)
            frame = None
        else:
            text, encoding = _decode(path, _read_bytes(path))
            frame, years, separator = _read_csv_text(path, text, source)
            del text
            header, tables = _header_of(frame), None
    if declaration(source).period != "header_year":
        period = delivery_period(path, source)
    elif years:
        period = str(next(iter(years)))
    else:
        m = _NAME_YEAR.search(path.name)
        if m is None:
            raise UnreadableInput(
                path, "no year in the header (Buurt<jaar>) nor in the file name of this pc6 file"
            )
        period = m.group(1)
    return _Reading(source, path, period, sha, fmt, encoding, separator, header, frame, tables)


def _header_of(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (LINE_COLUMN, FIELDS_COLUMN)]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(path, f"cannot read the file: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- CSV in pieces

# How much of a CSV file is read, decoded and split at a time: the text of one piece and its
# Arrow copies live together, the frame grows piece by piece.
CHUNK_BYTES = 16 * 2**20
_BOM = b"\xef\xbb\xbf"


def _byte_chunks(path: Path, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes in pieces of about `size`, each ending with a line feed except the
    last: a line, a CR LF pair and a multi-byte character are never cut in two."""
    size = size or CHUNK_BYTES
    try:
        with open(path, "rb") as fh:
            rest = b""
            while block := fh.read(size):
                data = rest + block if rest else block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    rest = data
                    continue
                rest = data[cut:]
                yield data[:cut] if rest else data
            if rest:
                yield rest
    except OSError as exc:
        raise UnreadableInput(path, f"cannot read the file: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class _CsvScan:
    sha256: str
    encoding: str  # 'utf-8', 'utf-8-sig' or 'cp1252'
    simple: bool  # no quotes and no bare CR: split by `_read_simple_csv`


def _scan_csv(path: Path) -> _CsvScan:
    """One pass over the file in pieces: its sha256, its encoding, whether it is text at all
    and whether it can be split without a CSV parser. Raises UnreadableInput with the same
    problems, in the same order, as `_decode` on the whole file."""
    digest = hashlib.sha256()
    first = True
    blank = True
    nul = False
    quoted = False
    bare_cr = False
    bom = False
    utf8_error: int | None = None  # file offset of the first byte that is not UTF-8
    offset = 0
    for chunk in _byte_chunks(path):
        digest.update(chunk)
        if first:
            for signature, problem in _SIGNATURES:
                if chunk.startswith(signature):
                    raise UnreadableInput(path, f"binary file: {problem}")
            bom = chunk.startswith(_BOM)
        blank = blank and not chunk.strip()
        nul = nul or b"\x00" in chunk
        quoted = quoted or b'"' in chunk
        bare_cr = bare_cr or chunk.count(b"\r") != chunk.count(b"\r\n")
        if utf8_error is None:
            skip = len(_BOM) if first and bom else 0
            try:
                chunk[skip:].decode("utf-8")
            except UnicodeDecodeError as exc:
                utf8_error = offset + skip + exc.start
        offset += len(chunk)
        first = False
    if blank:
        raise UnreadableInput(path, "empty file")
    if nul:
        raise UnreadableInput(path, "binary file: contains NUL bytes, not CSV text")
    if bom:
        if utf8_error is not None:
            raise UnreadableInput(
                path, f"not valid UTF-8 after its UTF-8 byte order mark (byte {utf8_error})"
            )
        encoding = "utf-8-sig"
    elif utf8_error is None:
        encoding = "utf-8"
    else:
        encoding = "cp1252"
        for chunk in _byte_chunks(path):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise UnreadableInput(
                    path, "binary file: not decodable as text (neither UTF-8 nor Windows-1252)"
                ) from exc
    return _CsvScan(digest.hexdigest(), encoding, simple=not quoted and not bare_cr)


def _text_chunks(path: Path, encoding: str) -> Iterator[str]:
    """The decoded pieces of a file `_scan_csv` has checked (BOM removed)."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for i, chunk in enumerate(_byte_chunks(path)):
        start = len(_BOM) if i == 0 and encoding == "utf-8-sig" else 0
        yield chunk[start:].decode(codec)


# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _control_check(path: Path, text: str) -> None:
    control = len(_CONTROL.findall(text[:65536]))
    if control > max(2, len(text[:65536]) // 100):
        raise UnreadableInput(path, "binary file: too many control characters for CSV text")


def _read_simple_csv(
    path: Path, encoding: str, source: str
) -> tuple[list[str], set[int], str, Iterator[pa.Table]]:
    """A CSV without quotes and without bare CRs, split piece by piece with Arrow: the header
    (checked), its years, the separator, and the rows as Arrow tables, one per piece (together
    the frame `_read_csv_text` gives), without the whole text or its copies in memory."""
    pieces = _text_chunks(path, encoding)
    text = ""
    for piece in pieces:
        if not text:
            _control_check(path, piece)
        text += piece
        lead = _LEADING_BLANK.match(text)
        if text[lead.end() :].strip():
            break
    lead = _LEADING_BLANK.match(text)
    header_line_no = 1 + text.count("\n", 0, lead.end())
    body = text[lead.end() :]
    del text
    if not body.strip():
        raise UnreadableInput(path, "empty file")
    first_line, _, data = body.partition("\n")
    del body
    first_line = first_line.rstrip("\r")
    sep = _sniff(first_line, source)
    header, years = _normalise_header(first_line.split(sep), source)
    _check_header(path, source, header, f"the first line (line {header_line_no})")
    if len(years) > 1:
        raise UnreadableInput(path, f"header columns of different years: {sorted(years)}")
    return header, years, sep, _simple_pieces(path, header, sep, header_line_no + 1, data, pieces)


def _simple_pieces(
    path: Path, header: list[str], sep: str, next_line: int, data: str, pieces: Iterator[str]
) -> Iterator[pa.Table]:
    """The tables of `_read_simple_csv`: one per piece of text with rows (columns c0.., `line`,
    `_fields`; see `_split_lines`)."""
    width = len(header)
    ends_with_newline = True
    last: pa.Table | None = None
    while True:
        if data:
            ends_with_newline = data.endswith("\n")
            table, lines = _split_lines(data, sep, next_line, width)
            next_line += lines
            if table.num_rows:
                if last is not None:
                    yield last
                last = table
        data = next(pieces, None)
        if data is None:
            break
    if last is not None:
        end = last.slice(last.num_rows - 1)
        fields = end.column(FIELDS_COLUMN)[0].as_py()
        if not ends_with_newline and fields < width:
            line = end.column(LINE_COLUMN)[0].as_py()
            raise UnreadableInput(
                path,
                f"truncated file: the last line ({line}) has {fields} of {width} fields and no "
                "line ending",
            )
        yield last


def _split_lines(text: str, sep: str, first_line: int, width: int) -> tuple[pa.Table, int]:
    """Data lines (LF or CR LF) -> columns c0.. (empty cells null), `line`, `_fields`; and
    how many physical lines the text had. Rows of nothing but separators and spaces (Excel
    leaves these at the end) are no rows."""
    text_type = pa.large_string() if len(text) > 2**30 else pa.string()
    lines = pc.split_pattern(pa.array([text], type=text_type), "\n").flatten()
    if text.endswith("\n"):
        lines = lines.slice(0, len(lines) - 1)
    count = len(lines)
    lines = pc.utf8_rtrim(lines, characters="\r")
    numbers = pa.array(np.arange(first_line, first_line + count, dtype="int64"))
    blank = pc.equal(pc.utf8_trim_whitespace(pc.replace_substring(lines, sep, "")), "")
    keep = pc.invert(blank)
    lines = pc.filter(lines, keep)
    numbers = pc.filter(numbers, keep)
    fields = pc.split_pattern(lines, sep)
    del lines
    columns = {}
    for i in range(width):
        values = pc.list_slice(fields, i, i + 1, return_fixed_size_list=True).flatten()
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        columns[f"c{i}"] = values.cast(pa.large_string())
    columns[LINE_COLUMN] = numbers
    columns[FIELDS_COLUMN] = pc.cast(pc.list_value_length(fields), pa.int64())
    return pa.table(columns), count


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _frame_from_tables(tables: list[pa.Table], header: list[str]) -> pd.DataFrame:
    """The reader's frame from Arrow pieces without copying them: `str` columns (NA for
    empty cells), `line` and `_fields` as int64."""
    from pandas.core.arrays.string_arrow import ArrowStringArray

    def column(key: str, type_: pa.DataType) -> pa.ChunkedArray:
        return pa.chunked_array([c for t in tables for c in t.column(key).chunks], type_)

    out = {
        name: pd.Series(
            ArrowStringArray(column(f"c{i}", pa.large_string()), dtype=_STR), copy=False
        )
        for i, name in enumerate(header)
    }
    n = sum(t.num_rows for t in tables)
    frame = (
        pd.DataFrame(out, index=range(n), copy=False) if header else pd.DataFrame(index=range(n))
    )
    for name in (LINE_COLUMN, FIELDS_COLUMN):
        frame[name] = column(name, pa.int64()).to_numpy() if tables else np.array([], "int64")
    return frame


def _decode(path: Path, data: bytes, partial: bool = False) -> tuple[str, str]:
    for signature, problem in _SIGNATURES:
        if data.startswith(signature):
            raise UnreadableInput(path, f"binary file: {problem}")
    if b"\x00" in data:
        raise UnreadableInput(path, "binary file: contains NUL bytes, not CSV text")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data[3:].decode("utf-8", errors="ignore" if partial else "strict")
            encoding = "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnreadableInput(
                path, f"not valid UTF-8 after its UTF-8 byte order mark (byte {exc.start + 3})"
            ) from exc
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            # A cut-off multi-byte character at the end of a partial read is still UTF-8.
            if partial and exc.start >= len(data) - 3:
                return data[: exc.start].decode("utf-8"), "utf-8"
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as exc2:
                raise UnreadableInput(
                    path, "binary file: not decodable as text (neither UTF-8 nor Windows-1252)"
                ) from exc2
    _control_check(path, text)
    return text, encoding


def _sniff(header_line: str, source: str) -> str:
    """`;` or `,`: the separator that splits the header into known column names."""
    if ";" not in header_line and "," not in header_line:
        return ";"
    if "," not in header_line:
        return ";"
    if ";" not in header_line:
        return ","
    known = set(COLUMNS[source].known)

    def score(sep: str) -> tuple[int, int]:
        names = next(csv.reader([header_line], delimiter=sep), [])
        normalised, _ = _normalise_header(names, source)
        return (len(known & set(normalised)), len(names))

    return ";" if score(";") >= score(",") else ","


_LEADING_BLANK = re.compile(r"(?:[ \t]*(?:\r\n|\n|\r))*")


def _read_csv_text(path: Path, text: str, source: str) -> tuple[pd.DataFrame, set[int], str]:
    lead = _LEADING_BLANK.match(text)
    header_line_no = 1 + len(re.findall(r"\r\n|\n|\r", lead.group()))
    body = text[lead.end() :]
    if not body.strip():
        raise UnreadableInput(path, "empty file")
    first_line = re.split(r"\r\n|\n|\r", body, maxsplit=1)[0]
    sep = _sniff(first_line, source)
    ends_with_newline = body.endswith(("\n", "\r"))
    # Files without quotes and with plain line endings (most) are split by `_read_simple_csv`
    # with Arrow, piece by piece; a file with quotes or bare CRs goes through csv, whole.
    frame, raw_header = _split_quoted(path, body, sep, header_line_no)
    header, years = _normalise_header(raw_header, source)
    _check_header(path, source, header, f"the first line (line {header_line_no})")
    if len(years) > 1:
        raise UnreadableInput(path, f"header columns of different years: {sorted(years)}")
    frame.columns = [*header, LINE_COLUMN, FIELDS_COLUMN]
    if len(frame) and not ends_with_newline and int(frame[FIELDS_COLUMN].iloc[-1]) < len(header):
        last = int(frame[LINE_COLUMN].iloc[-1])
        raise UnreadableInput(
            path,
            f"truncated file: the last line ({last}) has {int(frame[FIELDS_COLUMN].iloc[-1])} "
            f"of {len(header)} fields and no line ending",
        )
    return _finish(frame, header), years, sep


def _split_quoted(
    path: Path, body: str, sep: str, header_line_no: int
) -> tuple[pd.DataFrame, list[str]]:
    offset = header_line_no - 1

    def parse(strict: bool) -> tuple[list[str], list[list[str]], list[int]]:
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=sep, strict=strict)
        rows: list[list[str]] = []
        lines: list[int] = []
        header: list[str] | None = None
        start = 1
        try:
            for row in reader:
                if header is None:
                    header = row
                elif any(f.strip() for f in row):
                    rows.append(row)
                    lines.append(start + offset)
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise UnreadableInput(
                    path,
                    f"truncated file: a quote opened on line {start + offset} is never closed",
                ) from exc
            if "field larger than field limit" in str(exc):
                raise UnreadableInput(
                    path,
                    f"a field of more than {csv.field_size_limit()} characters from line "
                    f"{start + offset} (an unclosed quote?)",
                ) from exc
            raise
        return header or [], rows, lines

    try:
        header, rows, lines = parse(strict=True)
    except csv.Error:
        # Strict parsing also refuses stray quotes inside a field (`12"a`); those are data.
        header, rows, lines = parse(strict=False)
    n = len(header)
    fields = [len(r) for r in rows]
    columns = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(n)}
    frame = pd.DataFrame(columns, dtype="str") if n else pd.DataFrame(index=range(len(rows)))
    frame[LINE_COLUMN] = pd.array(lines, dtype="int64")
    frame[FIELDS_COLUMN] = pd.array(fields, dtype="int64")
    return frame, header


def _finish(frame: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """Strings with NA for empty cells; `line` and `_fields` as int64."""
    out = {}
    for name in header:
        s = frame[name].astype("str")
        out[name] = s.where(s != "")
    result = pd.DataFrame(out, index=range(len(frame)))
    result[LINE_COLUMN] = frame[LINE_COLUMN].to_numpy(dtype="int64")
    result[FIELDS_COLUMN] = frame[FIELDS_COLUMN].to_numpy(dtype="int64")
    return result


# --------------------------------------------------------------------------- XLSX


def _open_xlsx(path: Path, data: bytes | None = None):
    import openpyxl

    if data is not None and not data.startswith(b"PK\x03\x04"):
        hint = " (it looks like CSV text)" if b"\x00" not in data[:4096] else ""
        raise UnreadableInput(path, f"not an XLSX file: no ZIP signature{hint}")
    try:
        src = io.BytesIO(data) if data is not None else path
        workbook = openpyxl.load_workbook(src, read_only=True, data_only=True)
        if not workbook.worksheets:
            raise UnreadableInput(path, "XLSX file without a worksheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        return workbook, sheet
    except UnreadableInput:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnreadableInput(path, f"cannot open as XLSX: {exc}") from exc


def _cell_text(value) -> str | None:
    """A cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text != "" else None


def _xlsx_first_row(path: Path) -> list[str]:
    workbook, sheet = _open_xlsx(path)
    try:
        for row in sheet.iter_rows(min_row=1, values_only=True):
            cells = [_cell_text(v) for v in row]
            if any(c is not None and c.strip() for c in cells):
                return [c or "" for c in cells]
        return []
    finally:
        workbook.close()


def _read_xlsx(path: Path, data: bytes, source: str) -> tuple[pd.DataFrame, set[int]]:
    workbook, sheet = _open_xlsx(path, data)
    header: list[str] | None = None
    header_row = 0
    rows: list[list[str | None]] = []
    lines: list[int] = []
    try:
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if header is None:
                while cells and cells[-1] is None:
                    cells.pop()
                header, header_row = [c or "" for c in cells], number
                continue
            rows.append(cells)
            lines.append(number)
    except Exception as exc:
        raise UnreadableInput(path, f"cannot read the first sheet of the XLSX file: {exc}") from exc
    finally:
        workbook.close()
    if header is None:
        raise UnreadableInput(path, "no header row: the first sheet is empty")
    names, years = _normalise_header(header, source)
    _check_header(path, source, names, f"the first non-empty row (row {header_row})")
    if len(years) > 1:
        raise UnreadableInput(path, f"header columns of different years: {sorted(years)}")
    # Cells under no column name (left of, right of or between the named ones) belong to no
    # column; in XLSX they cannot shift other cells, so every row counts as complete.
    named = [(i, name) for i, name in enumerate(names) if header[i].strip()]
    n = len(named)
    columns = {name: [r[i] if i < len(r) else None for r in rows] for i, name in named}
    frame = pd.DataFrame(columns, index=range(len(rows)), dtype="str")
    frame[LINE_COLUMN] = pd.array(lines, dtype="int64")
    frame[FIELDS_COLUMN] = pd.array([n] * len(rows), dtype="int64")
    return _finish(frame, [name for _, name in named]), years
