"""The config file: the shipped default loads, and mistakes are refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]
MINIMAL = """
gemeente = "GM1916"
years = [2020, 2021]
baseline_year = 2020
[paths]
landing = "data/landing"
warehouse = "data/w.duckdb"
[programme_area]
code = "LN"
name = "Leidschendam-Noord"
areas = ["WK191602"]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sub" / "wijkmonitor.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_describes_leidschendam_noord():
    cfg = load_config(REPO / "wijkmonitor.toml")
    assert cfg.gemeente == "GM1916"
    assert cfg.baseline_year == 2020
    assert cfg.years == (2019, 2020, 2021, 2022, 2023, 2024)
    assert cfg.programme_area.areas == ("WK191602", "WK191603", "WK191606")
    assert [f.name for f in cfg.focus_areas] == ["Prinsenhof hoogbouw", "De Heuvel Noord"]
    assert all(a.startswith("BU191602") for a in cfg.focus_areas[0].areas)
    assert all(a.startswith("BU191606") for a in cfg.focus_areas[1].areas)
    assert cfg.targets[0].indicator == "werk.bijstand_per_1000"
    assert cfg.targets[0].change_pct == -10
    assert cfg.paths.warehouse == REPO / "data" / "warehouse.duckdb"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.paths.landing == tmp_path / "sub" / "data" / "landing"


def test_unknown_key_is_refused_naming_file_and_key(tmp_path):
    p = write(tmp_path, MINIMAL.replace("[paths]", "[paths]\nlandnig = 'x'"))
    with pytest.raises(ConfigError, match=r"wijkmonitor\.toml: unknown key 'paths\.landnig'"):
        load_config(p)


def test_wrong_type_is_refused(tmp_path):
    p = write(tmp_path, MINIMAL + "[disclosure]\nmin_count = 'ten'\n")
    with pytest.raises(
        ConfigError, match=r"'disclosure\.min_count' must be a whole number, got str"
    ):
        load_config(p)


def test_protection_interval_defaults_to_min_count_and_must_be_positive(tmp_path):
    p = write(tmp_path, MINIMAL + "[disclosure]\nmin_count = 5\n")
    assert load_config(p).disclosure.protection_interval == 5
    p = write(tmp_path, MINIMAL + "[disclosure]\nmin_count = 5\nprotection_interval = 8\n")
    assert load_config(p).disclosure.protection_interval == 8
    p = write(tmp_path, MINIMAL + "[disclosure]\nprotection_interval = 0\n")
    with pytest.raises(
        ConfigError, match=r"'disclosure\.protection_interval' must be at least 1, got 0"
    ):
        load_config(p)


def test_bool_is_not_a_number(tmp_path):
    p = write(tmp_path, MINIMAL.replace("baseline_year = 2020", "baseline_year = true"))
    with pytest.raises(ConfigError, match="baseline_year"):
        load_config(p)


def test_baseline_must_be_one_of_the_years(tmp_path):
    p = write(tmp_path, MINIMAL.replace("baseline_year = 2020", "baseline_year = 2018"))
    with pytest.raises(ConfigError, match="'baseline_year' 2018 is not one of 'years'"):
        load_config(p)


def test_area_codes_are_checked(tmp_path):
    p = write(tmp_path, MINIMAL.replace('areas = ["WK191602"]', 'areas = ["Prinsenhof"]'))
    with pytest.raises(ConfigError, match="not a CBS wijk or buurt code"):
        load_config(p)


def test_focus_area_takes_codes_or_a_polygon_not_both(tmp_path):
    extra = (
        '[[focus_areas]]\ncode = "PH"\nname = "x"\nareas = ["BU19160201"]\npolygon = "a.geojson"\n'
    )
    with pytest.raises(ConfigError, match="exactly one of 'areas' or 'polygon'"):
        load_config(write(tmp_path, MINIMAL + extra))


def test_letters_in_area_codes_are_allowed(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL.replace("WK191602", "WK0363AD")))
    assert cfg.programme_area.areas == ("WK0363AD",)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "gemeente = "))


@pytest.mark.parametrize("value", [0, -5, 4])
def test_a_min_count_below_5_is_refused(tmp_path, value):
    # 0 would publish every count (disclosure control off) while the export's own check,
    # with the same number, still passes: the config itself refuses it.
    p = write(tmp_path, MINIMAL + f"[disclosure]\nmin_count = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    message = str(err.value)
    assert message.startswith(str(p))
    assert f"'disclosure.min_count' is {value}, but must be at least 5" in message


def test_min_count_5_is_the_lowest_accepted_and_10_the_default(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).disclosure.min_count == 10
    p = write(tmp_path, MINIMAL + "[disclosure]\nmin_count = 5\n")
    assert load_config(p).disclosure.min_count == 5


def test_retention_is_off_by_default_and_never_negative(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).privacy.retention_years == 0
    p = write(tmp_path, MINIMAL + "[privacy]\nretention_years = 7\n")
    assert load_config(p).privacy.retention_years == 7
    p = write(tmp_path, MINIMAL + "[privacy]\nretention_years = -1\n")
    with pytest.raises(ConfigError, match=r"'privacy\.retention_years' is -1"):
        load_config(p)
