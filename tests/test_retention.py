"""`[privacy] retention_years`: which delivery files go, on real files in a tmp landing folder
(the build's use of it is in tests/test_leaks.py)."""

from __future__ import annotations

from datetime import date

import pytest

from sources.retention import apply_retention, last_year
from tests.deliveries import row, write_delivery

TODAY = date(2026, 3, 1)


def _files(folder, source, names):
    for name in names:
        write_delivery(folder, name, source, [row(source)])


def test_files_whose_period_ended_more_than_n_years_ago_are_removed(tmp_path):
    folder = tmp_path / "uitkeringen"
    # 5 years before 2026 is 2021: December 2020 goes, January 2021 stays.
    names = ["uitkeringen_2020-12.csv", "uitkeringen_2020-12_v2.csv", "uitkeringen_2021-01.csv"]
    _files(folder, "uitkeringen", names)
    (folder / "notes.txt").write_text("not a delivery", encoding="utf-8")
    removed = apply_retention(folder, "uitkeringen", 5, TODAY)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "uitkeringen_2021-01.csv"]
    assert removed == [
        f"{folder / n}: removed by [privacy] retention_years = 5 (period 2020-12 is older than "
        "5 years)"
        for n in names[:2]
    ]


def test_a_school_year_counts_for_the_year_it_ends(tmp_path):
    folder = tmp_path / "verzuim"
    _files(folder, "verzuim", ["verzuim_2019-2020.csv", "verzuim_2020-2021.csv"])
    assert last_year("2020-2021") == 2021
    apply_retention(folder, "verzuim", 5, TODAY)
    assert [p.name for p in folder.iterdir()] == ["verzuim_2020-2021.csv"]


def test_zero_keeps_everything_and_the_cbs_crosswalk_is_never_removed(tmp_path):
    folder = tmp_path / "leerplichtigen"
    _files(folder, "leerplichtigen", ["leerplichtigen_2000-2001.csv"])
    assert apply_retention(folder, "leerplichtigen", 0, TODAY) == []
    assert (folder / "leerplichtigen_2000-2001.csv").exists()
    assert apply_retention(tmp_path / "incidenten", "incidenten", 1, TODAY) == []  # no folder
    with pytest.raises(ValueError, match="pc6_buurt"):
        apply_retention(tmp_path / "pc6_buurt", "pc6_buurt", 1, TODAY)
