"""The reader of municipal deliveries: every accepted variant, every whole-file rejection, and
which file of a folder is the current one for its period."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sources.delivery import (
    delivery_period,
    find_deliveries,
    read_delivery,
)
from sources.errors import UnreadableInput
from tests.deliveries import HEADERS, csv_text, row, write_csv, write_delivery, write_xlsx

UIT = HEADERS["uitkeringen"]


def _cells(frame: pd.DataFrame, column: str) -> list:
    return [None if pd.isna(v) else v for v in frame[column]]


# --------------------------------------------------------------------------- CSV variants


def test_semicolon_utf8_cells_lines_and_provenance(tmp_path):
    path = write_delivery(
        tmp_path,
        "uitkeringen_2023-12.csv",
        "uitkeringen",
        [row("uitkeringen"), row("uitkeringen", client_id="C0002", postcode=" 2262 ab ")],
    )
    d = read_delivery(path, "uitkeringen")
    assert (d.source, d.period, d.format, d.encoding, d.separator) == (
        "uitkeringen",
        "2023-12",
        "csv",
        "utf-8",
        ";",
    )
    assert d.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert d.rows_read == 2
    # header = line 1, so the two data rows are lines 2 and 3
    assert list(d.frame["line"]) == [2, 3]
    assert _cells(d.frame, "client_id") == ["C0001", "C0002"]
    # the reader keeps text as delivered; normalising is the contract's job
    assert _cells(d.frame, "postcode") == ["2262AB", " 2262 ab "]
    # empty cells are NA, not ""
    assert _cells(d.frame, "einddatum") == [None, None]
    assert list(d.frame.columns) == [*UIT, "line", "_fields"]


def test_comma_separated_with_quoted_fields(tmp_path):
    header = [*UIT, "opmerking"]
    path = write_csv(
        tmp_path / "uitkeringen_2023-12.csv",
        header,
        [
            row("uitkeringen", opmerking='zei: "ja, graag"'),
            row("uitkeringen", client_id="C0002", opmerking="twee\nregels"),
            row("uitkeringen", client_id="C0003"),
        ],
        sep=",",
    )
    d = read_delivery(path, "uitkeringen")
    assert d.separator == ","
    assert _cells(d.frame, "opmerking") == ['zei: "ja, graag"', "twee\nregels", None]
    # the second row's quoted field runs over lines 3 and 4, so the third row is on line 5
    assert list(d.frame["line"]) == [2, 3, 5]
    assert list(d.frame["_fields"]) == [14, 14, 14]


def test_utf8_bom_and_crlf(tmp_path):
    path = write_delivery(
        tmp_path,
        "uitkeringen_2023-12.csv",
        "uitkeringen",
        [row("uitkeringen"), row("uitkeringen", client_id="C0002")],
        bom=True,
        line_ending="\r\n",
    )
    d = read_delivery(path, "uitkeringen")
    assert d.encoding == "utf-8-sig"
    assert d.frame.columns[0] == "client_id"  # no BOM stuck to the first name
    assert _cells(d.frame, "reden_einde") == [None, None]  # no "\r" left in the last column
    assert _cells(d.frame, "client_id") == ["C0001", "C0002"]


def test_windows_1252_with_accent_in_a_name_column(tmp_path):
    header = [*UIT, "naam_consulent"]
    path = write_csv(
        tmp_path / "uitkeringen_2023-12.csv",
        header,
        [row("uitkeringen", naam_consulent="José Hoogendoorn")],
        encoding="cp1252",
    )
    assert "é".encode("cp1252") in path.read_bytes()  # really not UTF-8 on disk
    d = read_delivery(path, "uitkeringen")
    assert d.encoding == "cp1252"
    assert _cells(d.frame, "naam_consulent") == ["José Hoogendoorn"]


def test_header_case_and_spaces_are_ignored(tmp_path):
    header = [" Client_ID ", "GEBOORTEJAAR", "Regeling ", " ingangsdatum", "PostCode", "Huisnummer"]
    path = write_csv(
        tmp_path / "uitkeringen_2023-12.csv",
        header,
        [["C0001", "1980", "PW", "2021-03-01", "2262AB", "12"]],
    )
    d = read_delivery(path, "uitkeringen")
    assert list(d.frame.columns) == [
        "client_id",
        "geboortejaar",
        "regeling",
        "ingangsdatum",
        "postcode",
        "huisnummer",
        "line",
        "_fields",
    ]
    assert _cells(d.frame, "regeling") == ["PW"]


def test_separator_sniffed_from_known_names_when_header_has_both(tmp_path):
    # a ';' file whose extra column name holds a comma: ',' would split it into 2 fields,
    # ';' into 7 of which 6 are known names.
    header = [
        "client_id",
        "geboortejaar",
        "regeling",
        "ingangsdatum",
        "postcode",
        "huisnummer",
        "toelichting, intern",
    ]
    path = write_csv(
        tmp_path / "uitkeringen_2023-12.csv",
        header,
        [["C0001", "1980", "PW", "2021-03-01", "2262AB", "12", "a, b"]],
    )
    d = read_delivery(path, "uitkeringen")
    assert d.separator == ";"
    assert _cells(d.frame, "toelichting, intern") == ["a, b"]


def test_rows_with_wrong_field_count_in_the_middle_are_kept(tmp_path):
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal"],
        [["BU19160201", "10"], ["BU19160202"], ["BU19160203", "5", "extra"], ["WK191602", "7"]],
    )
    d = read_delivery(path, "leerplichtigen")
    assert list(d.frame["line"]) == [2, 3, 4, 5]
    assert list(d.frame["_fields"]) == [2, 1, 3, 2]
    assert _cells(d.frame, "aantal") == ["10", None, "5", "7"]


def test_blank_lines_are_skipped_but_line_numbers_stay_physical(tmp_path):
    text = "\n gebied_code;aantal\nBU19160201;10\n\n;\nWK191602;7\n\n"
    path = tmp_path / "leerplichtigen_2022-2023.csv"
    path.write_text(text, encoding="utf-8")
    d = read_delivery(path, "leerplichtigen")
    # line 1 blank, header on line 2, data on 3, blank 4, only a separator on 5, data on 6
    assert list(d.frame["line"]) == [3, 6]
    assert d.rows_read == 2


def test_last_row_without_line_ending_is_fine_when_complete(tmp_path):
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal"],
        [["BU19160201", "10"], ["WK191602", "7"]],
        final_newline=False,
    )
    d = read_delivery(path, "leerplichtigen")
    assert _cells(d.frame, "aantal") == ["10", "7"]


def test_short_last_row_with_line_ending_is_a_bad_row_not_a_truncation(tmp_path):
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal"],
        [["BU19160201", "10"], ["WK191602"]],
        final_newline=True,
    )
    d = read_delivery(path, "leerplichtigen")
    assert list(d.frame["_fields"]) == [2, 1]


def test_quoted_and_unquoted_files_read_the_same(tmp_path):
    records = [row("uitkeringen"), row("uitkeringen", client_id="C0002", einddatum="2023-12-05")]
    plain = write_delivery(tmp_path / "a", "uitkeringen_2023-12.csv", "uitkeringen", records)
    quoted = write_delivery(
        tmp_path / "b", "uitkeringen_2023-12.csv", "uitkeringen", records, quote=True
    )
    a = read_delivery(plain, "uitkeringen").frame
    b = read_delivery(quoted, "uitkeringen").frame
    pd.testing.assert_frame_equal(a, b)


def test_pc6_header_year_and_column_names(tmp_path):
    # the name says 2022 but the header says 2023: the header wins (frames.md)
    path = write_csv(
        tmp_path / "pc6hnr20220801_gwb.csv",
        HEADERS["pc6_buurt"],
        [["2262AB", "12", "19160201", "191602", "1916"]],
    )
    d = read_delivery(path, "pc6_buurt")
    assert d.period == "2023"
    assert list(d.frame.columns) == [
        "pc6",
        "huisnummer",
        "buurt",
        "wijk",
        "gemeente",
        "line",
        "_fields",
    ]
    assert _cells(d.frame, "buurt") == ["19160201"]


def test_pc6_renamed_columns_and_year_from_file_name(tmp_path):
    path = write_csv(
        tmp_path / "pc6_buurt_2021.csv",
        ["postcode", "huisnummer", "buurt_code", "wijk_code", "gemeente_code"],
        [["2262AB", "12", "BU19160201", "WK191602", "GM1916"]],
        sep=",",
    )
    d = read_delivery(path, "pc6_buurt")
    assert d.period == "2021"
    assert _cells(d.frame, "gemeente") == ["GM1916"]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_numbers_and_dates_become_csv_text(tmp_path):
    header = [
        "Client_ID",
        "geboortejaar",
        "postcode",
        "huisnummer",
        "x",
        "y",
        "regeling",
        "ingangsdatum",
        "einddatum",
    ]
    records = [
        ["C0001", 1980, "2262 AB", 12, 84123.5, 455321.0, "PW", dt.date(2021, 3, 1), None],
        [
            "C0002",
            1975.0,
            "2262AC",
            7.0,
            None,
            None,
            "ioaw",
            dt.datetime(2023, 1, 31),
            "31-12-2023",
        ],
    ]
    path = write_xlsx(
        tmp_path / "uitkeringen_2023-12.xlsx", header, records, first_row=3, first_column=2
    )
    d = read_delivery(path, "uitkeringen")
    assert (d.format, d.encoding, d.separator) == ("xlsx", None, None)
    assert d.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # header in sheet row 3, so the data rows are sheet rows 4 and 5
    assert list(d.frame["line"]) == [4, 5]
    assert _cells(d.frame, "geboortejaar") == ["1980", "1975"]  # not "1975.0"
    assert _cells(d.frame, "huisnummer") == ["12", "7"]
    assert _cells(d.frame, "x") == ["84123.5", None]
    assert _cells(d.frame, "y") == ["455321", None]
    assert _cells(d.frame, "postcode") == ["2262 AB", "2262AC"]
    assert _cells(d.frame, "ingangsdatum") == ["2021-03-01", "2023-01-31"]
    assert _cells(d.frame, "einddatum") == [None, "31-12-2023"]
    assert set(d.frame["_fields"]) == {9}


def test_xlsx_datetime_with_time_keeps_the_time(tmp_path):
    header = HEADERS["incidenten"]
    path = write_xlsx(
        tmp_path / "incidenten_2023-05.xlsx",
        header,
        [["I1", dt.datetime(2023, 5, 14, 22, 15), "1.1.1", 84123, 455321, None, None, None]],
    )
    d = read_delivery(path, "incidenten")
    assert _cells(d.frame, "datum") == ["2023-05-14 22:15:00"]


# --------------------------------------------------------------------------- rejections


def _rejected(path: Path, source: str = "uitkeringen") -> str:
    with pytest.raises(UnreadableInput) as info:
        read_delivery(path, source)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value.problem


@pytest.mark.parametrize("content", [b"", b"  \r\n\n \t\n"])
def test_empty_file_is_rejected(tmp_path, content):
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_bytes(content)
    assert _rejected(path) == "empty file"


def test_header_without_client_id_is_rejected(tmp_path):
    header = [h for h in UIT if h != "client_id"]
    path = write_csv(tmp_path / "uitkeringen_2023-12.csv", header, [row("uitkeringen")])
    assert _rejected(path) == "missing required column 'client_id' for uitkeringen"


def test_header_without_address_or_coordinates_is_rejected(tmp_path):
    header = ["client_id", "geboortejaar", "regeling", "ingangsdatum", "postcode", "x"]
    path = write_csv(tmp_path / "uitkeringen_2023-12.csv", header, [row("uitkeringen")])
    problem = _rejected(path)
    assert "postcode+huisnummer or x+y" in problem


def test_incidenten_need_one_place_column_group(tmp_path):
    path = write_csv(
        tmp_path / "incidenten_2023-05.csv",
        ["incident_id", "datum", "categorie", "lat"],
        [["I1", "2023-05-01", "1.1.1", "52.1"]],
    )
    assert "x+y or lat+lon or buurtcode" in _rejected(path, "incidenten")


def test_truncated_last_line_is_rejected(tmp_path):
    text = csv_text(UIT, [row("uitkeringen")], final_newline=True)
    # the second row is cut off after its fifth field, without a line ending
    text += "C0002;H2;1970;2262AB;1"
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_text(text, encoding="utf-8")
    assert _rejected(path) == (
        "truncated file: the last line (3) has 5 of 13 fields and no line ending"
    )


def test_unterminated_quote_is_rejected(tmp_path):
    text = 'gebied_code;aantal\nBU19160201;10\nWK191602;"7\n'
    path = tmp_path / "leerplichtigen_2022-2023.csv"
    path.write_text(text, encoding="utf-8")
    assert _rejected(path, "leerplichtigen") == (
        "truncated file: a quote opened on line 3 is never closed"
    )


def test_binary_file_with_csv_name_is_rejected(tmp_path):
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_bytes(b"client_id;x\x00\x01\x02\x00\xff\xfe")
    assert "NUL bytes" in _rejected(path)


def test_xlsx_named_csv_is_rejected_as_looking_like_xlsx(tmp_path):
    real = write_xlsx(tmp_path / "real.xlsx", UIT, [row("uitkeringen")])
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_bytes(real.read_bytes())
    assert "looks like an XLSX" in _rejected(path)


def test_undecodable_bytes_are_rejected(tmp_path):
    path = tmp_path / "uitkeringen_2023-12.csv"
    # 0x81 and 0x8d are neither UTF-8 nor defined in Windows-1252
    path.write_bytes(b"client_id;geboortejaar\n\x81\x8d;1980\n")
    assert "not decodable as text" in _rejected(path)


def test_xlsx_with_empty_sheet_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "uitkeringen_2023-12.xlsx", None, [])
    assert _rejected(path) == "no header row: the first sheet is empty"


def test_xlsx_whose_first_row_is_data_is_rejected(tmp_path):
    path = write_xlsx(
        tmp_path / "uitkeringen_2023-12.xlsx",
        None,
        [["C0001", 1980, "2262AB", 12, "PW", dt.date(2021, 3, 1)]],
        first_row=2,
    )
    problem = _rejected(path)
    assert problem.startswith("no header: the first non-empty row (row 2) has none of the column")


def test_damaged_xlsx_is_rejected(tmp_path):
    path = tmp_path / "uitkeringen_2023-12.xlsx"
    with zipfile.ZipFile(path, "w") as z:  # a ZIP, but no workbook inside
        z.writestr("hello.txt", "not a workbook")
    assert _rejected(path).startswith("cannot open as XLSX")


def test_text_named_xlsx_is_rejected(tmp_path):
    path = tmp_path / "uitkeringen_2023-12.xlsx"
    path.write_text("client_id;geboortejaar\nC1;1980\n", encoding="utf-8")
    assert _rejected(path) == "not an XLSX file: no ZIP signature (it looks like CSV text)"


def test_duplicate_header_column_is_rejected(tmp_path):
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal", "Aantal"],
        [["BU19160201", "1", "2"]],
    )
    assert _rejected(path, "leerplichtigen") == "duplicate column 'aantal' in the header"


def test_name_without_period_is_rejected(tmp_path):
    path = write_delivery(tmp_path, "uitkeringen_december.csv", "uitkeringen", [row("uitkeringen")])
    assert _rejected(path) == "no month in the file name (expected uitkeringen_YYYY-MM)"


# --------------------------------------------------------------------------- periods, folders


@pytest.mark.parametrize(
    ("name", "source", "period"),
    [
        ("uitkeringen_2023-12.csv", "uitkeringen", "2023-12"),
        ("Uitkeringen_2023-12_v2.xlsx", "uitkeringen", "2023-12"),
        ("incidenten_2023-05_correctie.csv", "incidenten", "2023-05"),
        ("verzuim_2022-2023.csv", "verzuim", "2022-2023"),
        ("leerplichtigen_2022-2023_v3.xlsx", "leerplichtigen", "2022-2023"),
        ("pc6hnr20230801_gwb.csv", "pc6_buurt", "2023"),
        ("pc6_buurt_2019.xlsx", "pc6_buurt", "2019"),
    ],
)
def test_delivery_period_from_name(tmp_path, name, source, period):
    # the files need not exist: pc6 falls back to the name when there is no header to read
    assert delivery_period(tmp_path / name, source) == period


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("uitkeringen_2023-13.csv", "uitkeringen"),
        ("verzuim_2022-2024.csv", "verzuim"),
        ("verzuim_2022.csv", "verzuim"),
        ("bijstand_2023-12.csv", "uitkeringen"),
        ("pc6_buurt.csv", "pc6_buurt"),
    ],
)
def test_delivery_period_refuses_names_without_one(tmp_path, name, source):
    with pytest.raises(UnreadableInput):
        delivery_period(tmp_path / name, source)


def test_find_deliveries_latest_name_wins_per_period(tmp_path):
    folder = tmp_path / "uitkeringen"
    for name in (
        "uitkeringen_2023-11.csv",
        "uitkeringen_2023-12.csv",
        "uitkeringen_2023-12_correctie.xlsx",
        "uitkeringen_2024-01_v2.csv",
        "uitkeringen_2024-01_v10.csv",
        "uitkeringen_2024-01.csv",
        ".uitkeringen_2023-10.csv",
        "~$uitkeringen_2023-10.xlsx",
        "uitkeringen_2023-10.csv.partial",
        "uitkeringen_2023-10.txt",
        "uitkeringen_december.csv",
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x\n", encoding="utf-8")
    found = find_deliveries(folder, "uitkeringen")
    assert [p.name for p in found.current] == [
        "uitkeringen_2023-11.csv",
        # "_correctie" sorts after "." of the plain name
        "uitkeringen_2023-12_correctie.xlsx",
        # v10 sorts after v2 (numbers compared as numbers), and both after the plain name
        "uitkeringen_2024-01_v10.csv",
    ]
    assert sorted((a.name, b.name) for a, b in found.superseded) == [
        ("uitkeringen_2023-12.csv", "uitkeringen_2023-12_correctie.xlsx"),
        ("uitkeringen_2024-01.csv", "uitkeringen_2024-01_v10.csv"),
        ("uitkeringen_2024-01_v2.csv", "uitkeringen_2024-01_v10.csv"),
    ]
    assert [(p.name, why) for p, why in found.unrecognised] == [
        ("uitkeringen_december.csv", "no month in the file name (expected uitkeringen_YYYY-MM)")
    ]


def test_find_deliveries_pc6_groups_by_header_year(tmp_path):
    folder = tmp_path / "pc6_buurt"
    pc6 = [["2262AB", "12", "19160201", "191602", "1916"]]
    write_csv(folder / "pc6hnr20230801_gwb.csv", HEADERS["pc6_buurt"], pc6)
    # a name without a year, but the header says Buurt2023: same period, and it sorts later
    write_csv(folder / "pc6hnr_correctie.csv", HEADERS["pc6_buurt"], pc6)
    header_2022 = ["PC6", "Huisnummer", "Buurt2022", "Wijk2022", "Gemeente2022"]
    write_xlsx(folder / "pc6hnr20220801_gwb.xlsx", header_2022, pc6)
    found = find_deliveries(folder, "pc6_buurt")
    assert [p.name for p in found.current] == ["pc6hnr20220801_gwb.xlsx", "pc6hnr_correctie.csv"]
    assert [(a.name, b.name) for a, b in found.superseded] == [
        ("pc6hnr20230801_gwb.csv", "pc6hnr_correctie.csv")
    ]


def test_find_deliveries_on_a_missing_folder_is_empty(tmp_path):
    found = find_deliveries(tmp_path / "verzuim", "verzuim")
    assert (found.current, found.superseded, found.unrecognised) == ([], [], [])


def test_a_delivered_column_named_line_does_not_clash_with_ours(tmp_path):
    path = write_csv(
        tmp_path / "leerplichtigen_2022-2023.csv",
        ["gebied_code", "aantal", "line"],
        [["BU19160201", "10", "99"]],
    )
    d = read_delivery(path, "leerplichtigen")
    assert list(d.frame["line"]) == [2]  # the row's line in the file, not the delivered 99
    assert _cells(d.frame, "_delivered_line") == ["99"]


# --------------------------------------------------------------------------- re-deliveries


def _rows_of(path: Path) -> int:
    return read_delivery(path, "uitkeringen").rows_read


def _period_files(folder: Path, first: int, second: int) -> tuple[Path, Path]:
    from tests.deliveries import rows

    a = write_delivery(folder, "uitkeringen_2024-12.csv", "uitkeringen", rows("uitkeringen", first))
    b = write_delivery(
        folder, "uitkeringen_2024-12_v2.csv", "uitkeringen", rows("uitkeringen", second)
    )
    return a, b


def test_header_only_redelivery_does_not_replace_the_earlier_file(tmp_path):
    folder = tmp_path / "uitkeringen"
    first, header_only = _period_files(folder, 12, 0)
    assert header_only.read_text(encoding="utf-8").count("\n") == 1  # only the header line
    found = find_deliveries(folder, "uitkeringen", rows=_rows_of)
    assert found.current == [first]
    assert found.superseded == []
    (refused,) = found.refused
    assert (refused.refused, refused.kept, refused.refused_rows, refused.kept_rows) == (
        header_only,
        first,
        0,
        12,
    )
    message = refused.message()
    assert str(header_only) in message and first.name in message
    assert "uitkeringen_2024-12_v2.csv.confirmed" in message
    # Without a row counter (e.g. the pc6 crosswalk of `validate`) the latest name still wins.
    assert find_deliveries(folder, "uitkeringen").current == [header_only]


@pytest.mark.parametrize(
    ("earlier", "later", "max_shrink", "taken"),
    [
        (10, 5, 0.5, True),  # exactly half lost: allowed (not more than max_shrink)
        (10, 4, 0.5, False),  # 60% lost
        (10, 4, 0.7, True),  # 60% lost, 70% allowed
        (10, 9, 0.0, False),  # max_shrink 0: no row may go
        (10, 0, 1.0, False),  # an empty re-delivery never replaces silently
        (10, 30, 0.5, True),  # growing is always fine
    ],
)
def test_shrink_threshold(tmp_path, earlier, later, max_shrink, taken):
    folder = tmp_path / "uitkeringen"
    first, second = _period_files(folder, earlier, later)
    found = find_deliveries(folder, "uitkeringen", rows=_rows_of, max_shrink=max_shrink)
    assert found.current == [second if taken else first]
    assert len(found.refused) == (0 if taken else 1)


def test_confirmed_redelivery_replaces_even_when_empty(tmp_path):
    folder = tmp_path / "uitkeringen"
    first, header_only = _period_files(folder, 12, 0)
    (folder / "uitkeringen_2024-12_v2.csv.confirmed").write_text("", encoding="utf-8")
    found = find_deliveries(folder, "uitkeringen", rows=_rows_of)
    assert found.current == [header_only]
    assert found.superseded == [(first, header_only)]
    assert found.refused == []


def test_a_refused_v3_falls_back_to_v2_not_to_the_first(tmp_path):
    from tests.deliveries import rows

    folder = tmp_path / "uitkeringen"
    _period_files(folder, 10, 11)
    v3 = write_delivery(folder, "uitkeringen_2024-12_v3.csv", "uitkeringen", rows("uitkeringen", 2))
    found = find_deliveries(folder, "uitkeringen", rows=_rows_of)
    assert [p.name for p in found.current] == ["uitkeringen_2024-12_v2.csv"]
    assert [(r.refused, r.kept_rows) for r in found.refused] == [(v3, 11)]


def test_an_unreadable_earlier_file_is_replaced_by_any_readable_one(tmp_path):
    folder = tmp_path / "uitkeringen"
    first, header_only = _period_files(folder, 12, 0)
    first.write_bytes(b"%PDF-1.4 not a csv")
    found = find_deliveries(folder, "uitkeringen", rows=_rows_of)
    assert found.current == [header_only]


def test_a_corrupt_xlsx_is_named_in_the_error(tmp_path):
    path = tmp_path / "uitkeringen_2024-12.xlsx"
    with zipfile.ZipFile(path, "w") as z:  # a ZIP, but no workbook parts
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnreadableInput) as exc:
        read_delivery(path, "uitkeringen")
    assert str(exc.value).startswith(f"{path}: cannot open as XLSX")
