"""`wijkmonitor validate --source uitkeringen|verzuim|... PATH --json` (issue 3): unusable files
are rejected whole with a message naming the file and the problem; a file with bad rows keeps
its good rows, and every bad one is reported with its line and reason, including the rows that
only placing them in a buurt can catch (a point in the sea, a postcode the crosswalk lacks).

Runs the command in-process (typer's runner) against the demo's boundaries and crosswalk."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import demo_workspace

HEADER = (
    "client_id;geboortejaar;postcode;huisnummer;x;y;regeling;ingangsdatum;einddatum;reden_einde"
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return demo_workspace(tmp_path_factory.mktemp("validate"))


def validate(cfg: Path, source: str, path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(
        app, ["validate", "--source", source, str(path), "--json", "--config", str(cfg)]
    )
    return result.exit_code, json.loads(result.stdout)


def _xlsx_without_header(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["C1", 1980, "2262AB", 12, None, None, "PW", "2023-01-01"])  # data, no header
    wb.save(path)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("uitkeringen_2023-01.csv", b"", "empty"),
        ("uitkeringen_2023-02.csv", b"geboortejaar;x;y;regeling;ingangsdatum\n1980;1;2;PW;2023-01-01\n",
         "client_id"),
        ("uitkeringen_2023-03.csv", (HEADER + "\nC1;1980;2262AB;12;;;PW;2023-01-01;;\nC2;19").encode(),
         "truncated"),
        ("uitkeringen_2023-04.csv", b"\x00\x01\x02\xff\xfe binary \x00\x00", "binary"),
        ("uitkeringen_2023-05.xlsx", None, "header"),
    ],
)  # fmt: skip
def test_unusable_files_are_rejected_naming_file_and_problem(
    workspace, tmp_path, name, content, problem
):
    path = tmp_path / name
    if content is None:
        _xlsx_without_header(path)
    else:
        path.write_bytes(content)
    code, report = validate(workspace, "uitkeringen", path)
    assert code == 1
    assert report["status"] == "rejected"
    assert report["rows_accepted"] == 0
    (only,) = report["problems"]
    assert problem in only["reason"].lower()
    assert name in report["path"]


def test_bad_rows_are_quarantined_and_good_rows_kept(workspace, tmp_path):
    crosswalk = (workspace.parent / "landing" / "pc6_buurt" / "pc6hnr20230801_gwb.csv").read_text(
        encoding="utf-8"
    )
    # A real address of the demo crosswalk (its second line) and a postcode it does not have.
    pc6, number = crosswalk.splitlines()[1].split(";")[:2]
    assert "9999ZZ" not in crosswalk
    rows = [
        f"C1;1980;{pc6};{number};;;PW;2023-01-01;;",  # good: placed through the crosswalk
        f"C2;1981;{pc6};{number};;;XYZ;2023-01-01;;",  # unknown regeling
        f"C3;1982;{pc6};{number};;;PW;2023-06-01;2023-03-01;WERK",  # einde before ingang
        "C4;1983;;;65000;460000;PW;2023-01-01;;",  # the North Sea
        "C5;1984;9999ZZ;1;;;PW;2023-01-01;;",  # not in the crosswalk
        f"C6;1985;{pc6};{number};;;IOAW;2022-05-01;;",  # good
    ]
    path = tmp_path / "uitkeringen_2023-12.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    code, report = validate(workspace, "uitkeringen", path)
    assert code == 0
    assert (report["rows_read"], report["rows_accepted"], report["rows_quarantined"]) == (6, 2, 4)
    by_line = {p["row"]: p["reason"] for p in report["problems"]}
    assert sorted(by_line) == [3, 4, 5, 6]  # header = line 1, C1 = line 2
    assert "regeling" in by_line[3]
    assert "einddatum" in by_line[4]
    assert "buiten de gemeente" in by_line[5]
    assert "postcode" in by_line[6]


def test_a_duplicate_melding_id_is_quarantined_naming_the_first(workspace, tmp_path):
    buurten = gpd.read_file(
        workspace.parent / "landing" / "cbs_kaart" / "2022" / "wijkenbuurten_2022.gpkg",
        layer="buurten",
    )
    p = buurten.geometry.iloc[0].representative_point()  # a point inside a demo buurt
    path = tmp_path / "verzuim_2022-2023.csv"
    path.write_text(
        "melding_id,leerling_id,geboortedatum,x,y,meldingsdatum,soort_verzuim\n"
        f"M1,L1,2010-01-01,{p.x:.1f},{p.y:.1f},2022-10-01,RELATIEF\n"
        f"M1,L2,2011-01-01,{p.x:.1f},{p.y:.1f},2022-11-01,RELATIEF\n",
        encoding="utf-8",
    )
    code, report = validate(workspace, "verzuim", path)
    assert code == 0
    assert (report["rows_read"], report["rows_accepted"], report["rows_quarantined"]) == (2, 1, 1)
    (problem,) = report["problems"]
    assert problem["row"] == 3
    assert "dubbele melding_id" in problem["reason"] and "regel 2" in problem["reason"]
