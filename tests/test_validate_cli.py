"""`wijkmonitor validate`: the JSON report, exit codes, and rejection messages."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tablemaker import make_table

DATA = Path(__file__).parent / "data" / "cbs"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, timeout=300
    )


def count_markers_in_dbf(path: Path, marker: float) -> int:
    """Count cells equal to the marker by reading the dBASE records directly."""
    raw = path.read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    fields = []
    pos = 32
    while raw[pos] != 0x0D:
        fields.append(raw[pos + 16])  # field length
        pos += 32
    count = 0
    for r in range(n_records):
        rec = raw[header_len + r * record_len : header_len + (r + 1) * record_len]
        off = 1  # deletion flag
        for length in fields:
            try:
                if float(rec[off : off + length]) == marker:
                    count += 1
            except ValueError:
                pass  # a text field
            off += length
    return count


def test_kaart_2017_reports_71_rows_and_every_marker_as_null():
    path = DATA / "wijk_2017_haaglanden.dbf"
    proc = run_cli("validate", "--source", "cbs_kaart", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["source"] == "cbs_kaart"
    assert report["status"] == "accepted"
    assert report["rows_read"] == 71
    assert report["rows_accepted"] + report["rows_quarantined"] == 71
    nulls = [p for p in report["problems"] if "-99999999" in p["reason"]]
    assert len(nulls) == count_markers_in_dbf(path, -99999999)
    assert all(p["row"] is not None and p["column"] for p in nulls)


def write_reply(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps({"odata.metadata": "x", "value": rows}), encoding="utf-8")
    return path


def test_reply_with_other_suffixes_is_mapped_by_stem(tmp_path):
    areas = [
        {"code": "GM1916", "values": {"AantalInwoners": 77000, "HuishoudensTotaal": 36000}},
        {"code": "WK191602", "values": {"AantalInwoners": 5600, "HuishoudensTotaal": 2800}},
    ]
    table = make_table("T", 2023, areas, ["AantalInwoners", "HuishoudensTotaal"], first_suffix=41)
    path = write_reply(tmp_path / "TypedDataSet_gemeente_p001.json", table["TypedDataSet"])
    assert "HuishoudensTotaal_46" in table["TypedDataSet"][0]

    from checks.kerncijfers import split_kerncijfers, validate_kerncijfers
    from sources.statline import read_saved_table

    report = validate_kerncijfers(path)
    assert (report.status, report.rows_read, report.rows_accepted) == ("accepted", 2, 2)
    split = split_kerncijfers(read_saved_table(tmp_path, "T"), "GM1916", 2023)
    got = split.values.set_index(["area_code", "stem"])["value"]
    assert got[("WK191602", "HuishoudensTotaal")] == 2800
    assert got[("GM1916", "AantalInwoners")] == 77000


def test_missing_required_key_is_rejected_naming_file(tmp_path):
    path = write_reply(tmp_path / "reply.json", [{"ID": 0, "AantalInwoners_5": 3}])
    proc = run_cli("validate", "--source", "cbs_kerncijfers", str(path), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["status"] == "rejected"
    assert str(path) in report["path"]
    assert "WijkenEnBuurten" in report["problems"][0]["reason"]


def test_broken_json_is_rejected_naming_file(tmp_path):
    path = tmp_path / "TypedDataSet_gemeente_p001.json"
    path.write_text('{"odata.metadata": "x", "value": [{"ID": 0, "WijkenEn', encoding="utf-8")
    proc = run_cli("validate", "--source", "cbs_kerncijfers", str(path), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["path"] == str(path)
    assert "broken JSON" in report["problems"][0]["reason"]
    plain = run_cli("validate", "--source", "cbs_kerncijfers", str(path))
    assert str(path) in plain.stdout and "rejected" in plain.stdout


def test_bad_rows_are_quarantined_not_the_file(tmp_path):
    rows = [
        {"ID": 0, "WijkenEnBuurten": "GM1916    ", "AantalInwoners_5": 77000},
        {"ID": 1, "WijkenEnBuurten": "XX12      ", "AantalInwoners_5": 10},
        {"ID": 2, "WijkenEnBuurten": "WK191602  ", "AantalInwoners_5": "veel"},
        {"ID": 3, "WijkenEnBuurten": "WK191603  ", "AantalInwoners_5": 6900},
    ]
    path = write_reply(tmp_path / "reply.json", rows)
    proc = run_cli("validate", "--source", "cbs_kerncijfers", str(path), "--json")
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert (report["rows_read"], report["rows_accepted"], report["rows_quarantined"]) == (4, 2, 2)
    assert {p["row"] for p in report["problems"]} == {2, 3}


@pytest.mark.parametrize("args", [["validate", "--source", "nope", "x"], ["validate", "x"]])
def test_usage_errors_exit_2(args):
    assert run_cli(*args).returncode == 2
