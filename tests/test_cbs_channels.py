"""The two StatLine channels (docs/sources.md 1a): the standard API refuses more than 10,000
cells per request, the bulk feed pages without a cap. Figures come from the feed; a refused
or cut-off reply is never taken for the table, and a failed fetch leaves nothing behind.

The end-to-end part builds, over real HTTP, a Kerncijfers table and a police table far above
the API's cap, and compares what was saved and published with the served rows, worked out
here from the served tables themselves."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines.cli import _failure_messages, run_build
from sources.http import FetchError, RefusedError
from sources.statline import (
    StatLineClient,
    feed_root,
    kerncijfers_queries,
    latest_snapshot,
)
from tests.politie_server import PoliceFakeStatLine
from tests.statline_server import FakeStatLine, StatLineServer
from tests.tablemaker import make_table


def client(server, **kw) -> StatLineClient:
    kw.setdefault("retries", 2)
    return StatLineClient(base_url=server.base_url, backoff_seconds=0, sleep=lambda s: None, **kw)


def _rows(n: int) -> list[dict]:
    # 5 cells per row
    return [
        {
            "ID": i,
            "WijkenEnBuurten": f"BU1916{i:04d}",
            "SoortRegio_2": "Buurt     ",
            "A_3": i,
            "B_4": None,
        }
        for i in range(n)
    ]


# --- the channels, at the wire ------------------------------------------------------------------


def test_feed_root_is_the_api_root_with_odatafeed():
    assert feed_root("https://opendata.cbs.nl/ODataApi/odata") == (
        "https://opendata.cbs.nl/ODataFeed/odata"
    )
    assert feed_root("http://127.0.0.1:8080/ODataApi/odata/") == (
        "http://127.0.0.1:8080/ODataFeed/odata"
    )
    with pytest.raises(ValueError, match="must end in /ODataApi/odata"):
        feed_root("https://opendata.cbs.nl/odata")


def test_the_api_root_refuses_more_than_10000_cells_and_the_feed_pages_them():
    fake = FakeStatLine({"T1": {"TypedDataSet": _rows(2001), "Small": _rows(2000)}}, page_size=800)
    with StatLineServer(fake) as server:
        api = f"{server.base_url}/T1/TypedDataSet"
        # 2,001 rows x 5 columns = 10,005 cells: refused, with an OData error body.
        too_big = requests.get(api, params={"$format": "json"}, timeout=10)
        assert too_big.status_code == 500
        error = too_big.json()["odata.error"]
        assert error["message"]["lang"] == "en-US" and "10000" in error["message"]["value"]
        # 2,000 rows x 5 = 10,000 cells: not more than the cap, served whole in one reply.
        at_cap = requests.get(f"{server.base_url}/T1/Small", timeout=10)
        assert at_cap.status_code == 200 and len(at_cap.json()["value"]) == 2000
        # $select counts: 2,001 rows x 2 columns = 4,002 cells are served whole.
        narrow = requests.get(api, params={"$select": "ID,A_3", "$format": "json"}, timeout=10)
        assert narrow.status_code == 200
        assert narrow.json()["value"][2000] == {"ID": 2000, "A_3": 2000}
        assert "odata.nextLink" not in narrow.json()

        # The client does not retry a refusal, and says what CBS said.
        c = client(server, retries=3)
        before = len(fake.requests)
        with pytest.raises(RefusedError, match=r"HTTP 500, refused: .*10005 cells.*10000"):
            c.get_json(api + "?%24format=json", "api")
        assert len(fake.requests) == before + 1

        # The feed: no cap, pages of 800 joined by odata.nextLink.
        pages = list(c.pages(f"{server.feed_url}/T1/TypedDataSet?%24format=json"))
    assert [len(doc["value"]) for _, _, doc in pages] == [800, 800, 401]
    assert [r for _, _, doc in pages for r in doc["value"]] == _rows(2001)
    assert all("/ODataFeed/odata/" in url for url, _, _ in pages)


def test_an_api_reply_at_the_cap_is_not_taken_for_the_whole_set():
    # A server that hands out exactly 10,000 cells without complaint: the client cannot tell
    # a whole set from one cut at the cap, so it takes neither.
    fake = FakeStatLine({"T1": {"DataProperties": _rows(2000)}})
    with StatLineServer(fake) as server:
        with pytest.raises(FetchError, match=r"10000 cells, at the API's cap"):
            client(server).get_json(f"{server.base_url}/T1/DataProperties", "api")
        # The same reply from the feed is fine.
        _, doc = client(server).get_json(f"{server.feed_url}/T1/DataProperties")
    assert len(doc["value"]) == 2000


def test_metadata_from_the_api_figures_and_dimensions_from_the_feed_and_the_manifest_says_so(
    tmp_path,
):
    tables = {
        "T1": {
            "TableInfos": [{"Identifier": "T1", "Modified": "2024-01-01T00:00:00"}],
            "DataProperties": [{"odata.type": "Cbs.OData.Topic", "Key": "A_3"}],
            "WijkenEnBuurten": [{"Key": f"BU1916{i:04d}", "Title": str(i)} for i in range(5)],
            "TypedDataSet": _rows(5),
        }
    }
    fake = FakeStatLine(tables, page_size=2)
    with StatLineServer(fake) as server:
        snapshot = client(server).fetch_table("T1", kerncijfers_queries("GM1916"), tmp_path)
        manifest = json.loads((snapshot / "manifest.json").read_text("utf-8"))
        for f in manifest["files"]:  # saved byte for byte as served
            assert (snapshot / f["file"]).read_bytes() == fake.reply_to(f["url"])[1]
    by_set = {}
    for path in fake.requests:
        entity_set = path.split("?")[0].rsplit("/", 1)[1]
        by_set.setdefault(entity_set, set()).add(path.split("/")[1])
    assert by_set == {
        "TableInfos": {"ODataApi"},
        "DataProperties": {"ODataApi"},
        "WijkenEnBuurten": {"ODataFeed"},
        "TypedDataSet": {"ODataFeed"},
    }
    assert manifest["base_url"] == server.base_url and manifest["feed_url"] == server.feed_url
    channels = {f["file"]: (f["channel"], f["url"].split("/")[3]) for f in manifest["files"]}
    assert channels["TableInfos_p001.json"] == ("api", "ODataApi")
    # 5 buurten in pages of 2: three pages from the feed
    assert [n for n in channels if n.startswith("TypedDataSet_gemeente")] == [
        f"TypedDataSet_gemeente_p00{i}.json" for i in (1, 2, 3)
    ]
    assert channels["TypedDataSet_gemeente_p003.json"] == ("feed", "ODataFeed")
    assert "%24skip=4" in manifest["files"][-2]["url"] or "$skip=4" in manifest["files"][-2]["url"]


@pytest.mark.parametrize(
    ("fault", "attempts"), [("cut", 3), ("drop", 3), ("503", 3), ("refuse", 1)]
)
def test_a_feed_page_that_fails_fails_the_fetch_and_leaves_no_snapshot(tmp_path, fault, attempts):
    tables = {
        "T1": {
            "TableInfos": [{"Identifier": "T1", "Modified": "2024-01-01T00:00:00"}],
            "DataProperties": [],
            "WijkenEnBuurten": [],
            "TypedDataSet": _rows(5),
        }
    }
    fake = FakeStatLine(tables, page_size=2, feed_faults={2: fault})
    with StatLineServer(fake) as server, pytest.raises(FetchError) as caught:
        client(server, retries=2).fetch_table("T1", kerncijfers_queries("GM1916"), tmp_path)
    message = str(caught.value)
    assert "/ODataFeed/odata/T1/TypedDataSet" in message and "skip=2" in message
    second_page = [r for r in fake.requests if "TypedDataSet" in r and "skip=2" in r]
    assert len(second_page) == attempts  # transient faults retried, a refusal not
    assert list((tmp_path / "T1").iterdir()) == []  # no snapshot, no .partial folder
    assert latest_snapshot(tmp_path, "T1") is None


# --- end to end: tables far above the cap -------------------------------------------------------

GEMEENTE = "GM1916"
KERN_TABLE = "99999NED"
POLICE_TABLE = "47022NED"
WIJKEN = [f"WK1916{w:02d}" for w in range(1, 11)]
BUURTEN_PER_WIJK = 30
REAL_STEMS = [
    "AantalInwoners",
    "k_0Tot15Jaar",
    "k_15Tot25Jaar",
    "k_25Tot45Jaar",
    "k_45Tot65Jaar",
    "k_65JaarOfOuder",
    "HuishoudensTotaal",
    "Eenpersoonshuishoudens",
    "Woningvoorraad",
    "GemiddeldeWoningwaarde",
]
STEMS = REAL_STEMS + [f"Extra{n:02d}" for n in range(90)]  # 100 figure columns
CODES = ["0.0.0", "1.1.1", "1.4.3", "1.4.4", "1.4.5", "1.4.6", "1.4.7", "2.2.1", "3.9.9"]
MONTHS = [f"2023MM{m:02d}" for m in range(1, 13)]


def _kerncijfers_areas() -> list[dict]:
    rng = random.Random(1916)
    buurten = []
    for wijk in WIJKEN:
        for b in range(1, BUURTEN_PER_WIJK + 1):
            ages = [rng.randint(20, 400) for _ in range(5)]
            hh = rng.randint(50, 900)
            values = dict(zip(REAL_STEMS[1:6], ages, strict=True))
            values |= {
                "AantalInwoners": sum(ages),
                "HuishoudensTotaal": hh,
                "Eenpersoonshuishoudens": rng.randint(0, hh),
                "Woningvoorraad": rng.randint(50, 900),
                "GemiddeldeWoningwaarde": rng.randint(150, 600),
            }
            values |= {s: rng.randint(0, 99) for s in STEMS if s.startswith("Extra")}
            buurten.append({"code": f"BU{wijk[2:]}{b:02d}", "name": f"buurt {b}", "values": values})

    def total(code: str, members: list[dict]) -> dict:
        values = {s: sum(m["values"][s] for m in members) for s in STEMS}
        values["GemiddeldeWoningwaarde"] = 300
        return {"code": code, "name": code, "values": values}

    wijken = [total(w, [b for b in buurten if b["code"][2:8] == w[2:]]) for w in WIJKEN]
    nl = total("NL00", wijken)
    nl["values"] = {s: v * 200 for s, v in nl["values"].items()}
    rijswijk = {**buurten[0], "code": "BU06030101"}  # another gemeente: never asked for
    return [nl, total(GEMEENTE, wijken), *wijken, *buurten, rijswijk]


def _police_rows(areas: list[str]) -> list[dict]:
    rows = []
    for a, area in enumerate(areas):
        for c, code in enumerate(CODES):
            for m, period in enumerate(MONTHS):
                rows.append(
                    {
                        "ID": len(rows),
                        "SoortMisdrijf": code.ljust(6),
                        "WijkenEnBuurten": area.ljust(10),
                        "Perioden": period,
                        "GeregistreerdeMisdrijven_1": (a * 7 + c * 3 + m) % 23,
                    }
                )
    return rows


def _police_table(areas: list[str], modified: str) -> dict:
    dim = [{"Key": k.ljust(6), "Title": f"titel {k}", "Description": None} for k in CODES]
    return {
        "TableInfos": [{"Identifier": POLICE_TABLE, "Modified": modified}],
        "DataProperties": [
            {"odata.type": "Cbs.OData.Dimension", "Key": "SoortMisdrijf"},
            {"odata.type": "Cbs.OData.GeoDimension", "Key": "WijkenEnBuurten"},
            {"odata.type": "Cbs.OData.TimeDimension", "Key": "Perioden"},
            {"odata.type": "Cbs.OData.Topic", "Key": "GeregistreerdeMisdrijven_1"},
        ],
        "SoortMisdrijf": dim,
        "WijkenEnBuurten": [{"Key": a.ljust(10), "Title": a, "Description": None} for a in areas],
        "Perioden": [{"Key": p, "Title": p, "Description": None} for p in MONTHS],
        "TypedDataSet": _police_rows(areas),
    }


def _config(folder: Path, base_url: str) -> Path:
    cfg = folder / "wijkmonitor.toml"
    cfg.write_text(
        f"""
gemeente = "{GEMEENTE}"
years = [2023]
baseline_year = 2023
[paths]
landing = "landing"
warehouse = "out/warehouse.duckdb"
[cbs]
opendata_url = "{base_url}"
dataderden_url = "{base_url}"
politie_table = "{POLICE_TABLE}"
retries = 1
backoff_seconds = 0
[cbs.kerncijfers_tables]
2023 = "{KERN_TABLE}"
[programme_area]
code = "LN"
name = "Leidschendam-Noord"
areas = ["WK191602", "WK191603", "WK191606"]
[[focus_areas]]
code = "PH"
name = "Prinsenhof hoogbouw"
areas = ["BU19160201", "BU19160202"]
""",
        encoding="utf-8",
    )
    return cfg


def saved_rows(snapshot: Path, prefix: str) -> list[dict]:
    """The rows of the saved pages `<prefix>_pNNN.json`, in page order, read directly."""
    pages = sorted(snapshot.glob(f"{prefix}_p*.json"))
    return [row for page in pages for row in json.loads(page.read_bytes())["value"]]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("channels")
    areas = _kerncijfers_areas()
    kern = make_table(KERN_TABLE, 2023, areas, STEMS, first_suffix=5)
    police_areas = [a["code"] for a in areas]
    tables = {
        KERN_TABLE: kern,
        POLICE_TABLE: _police_table(police_areas, "2024-03-01T02:00:00"),
    }
    fake = PoliceFakeStatLine(tables, page_size=200)
    with StatLineServer(fake) as server:
        cfg = _config(folder, server.base_url)
        result = run_build(cfg, offline=False, show_progress=False)
        assert result.success, _failure_messages(result)
        yield folder, cfg, fake, areas


def _gemeente_rows(rows: list[dict], key: str = "WijkenEnBuurten") -> list[dict]:
    return [r for r in rows if r[key][2:6] == GEMEENTE[2:]]


def _nl_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["WijkenEnBuurten"] == "NL00      "]


def test_kerncijfers_far_above_the_cap_are_saved_and_published_cell_for_cell(big):
    folder, _, fake, areas = big
    served = fake.tables[KERN_TABLE]["TypedDataSet"]
    ours = _gemeente_rows(served)
    assert len(ours) == 1 + len(WIJKEN) + len(WIJKEN) * BUURTEN_PER_WIJK == 311
    cells = len(ours) * len(ours[0])
    assert cells > 3 * 10_000  # 311 rows x 106 columns: far above the API's cap

    snapshot = latest_snapshot(folder / "landing" / "cbs_kerncijfers", KERN_TABLE)
    assert saved_rows(snapshot, "TypedDataSet_gemeente") == ours  # every cell, in order
    assert saved_rows(snapshot, "TypedDataSet_land") == _nl_rows(served)
    assert saved_rows(snapshot, "WijkenEnBuurten_gemeente") == _gemeente_rows(
        fake.tables[KERN_TABLE]["WijkenEnBuurten"], "Key"
    )
    manifest = json.loads((snapshot / "manifest.json").read_text("utf-8"))
    figures = [f for f in manifest["files"] if f["file"].startswith("TypedDataSet_gemeente")]
    assert len(figures) == 2  # 311 rows in pages of 200
    assert all(f["channel"] == "feed" and "/ODataFeed/odata/" in f["url"] for f in figures)
    assert not [r for r in fake.requests if "TypedDataSet" in r and "/ODataApi/" in r]

    inhabitants = {a["code"]: a["values"]["AantalInwoners"] for a in areas}
    with duckdb.connect(str(folder / "out" / "warehouse.duckdb"), read_only=True) as con:
        published = dict(
            con.execute(
                "SELECT area_code, value FROM indicators WHERE indicator_id = 'context.inwoners' "
                "AND period_year = 2023 AND (area_code LIKE 'BU%' OR area_code LIKE 'WK%' "
                "OR area_code IN ('GM1916', 'NL00'))"
            ).fetchall()
        )
    expected = {c: v for c, v in inhabitants.items() if c[2:6] == "1916" or c == "NL00"}
    assert len(expected) == 312
    assert published == pytest.approx(expected)


def test_the_police_table_far_above_the_cap_is_saved_and_counted_whole(big):
    folder, _, fake, areas = big
    served = fake.tables[POLICE_TABLE]["TypedDataSet"]
    asked = {"0.0.0", "1.1.1", "1.4.3", "1.4.4", "1.4.5", "1.4.6", "1.4.7", "2.2.1"}
    ours = [r for r in _gemeente_rows(served) if r["SoortMisdrijf"].strip() in asked]
    assert len(ours) == 311 * 8 * 12 and len(ours) * 5 > 10 * 10_000

    snapshot = latest_snapshot(folder / "landing" / "politie", POLICE_TABLE)
    assert saved_rows(snapshot, "TypedDataSet_gemeente") == ours
    assert saved_rows(snapshot, "TypedDataSet_land") == [
        r for r in _nl_rows(served) if r["SoortMisdrijf"].strip() in asked
    ]
    inhabitants = {a["code"]: a["values"]["AantalInwoners"] for a in areas}
    with duckdb.connect(str(folder / "out" / "warehouse.duckdb"), read_only=True) as con:
        for wijk in ("WK191602", "WK191607", "WK191610"):
            total = sum(
                r["GeregistreerdeMisdrijven_1"]
                for r in served
                if r["WijkenEnBuurten"].strip() == wijk and r["SoortMisdrijf"] == "0.0.0 "
            )
            value = con.execute(
                "SELECT value FROM indicators WHERE indicator_id = 'veiligheid.misdrijven_per_1000' "
                "AND area_code = ? AND period_year = 2023",
                [wijk],
            ).fetchone()[0]
            assert value == pytest.approx(total / inhabitants[wijk] * 1000)


def test_a_feed_cut_off_mid_page_fails_the_build_and_changes_nothing(big):
    folder, cfg, fake, _ = big
    warehouse = folder / "out" / "warehouse.duckdb"
    landing = folder / "landing"
    before = sha(warehouse)
    kern_modified = fake.tables[KERN_TABLE]["TableInfos"][0]["Modified"]
    saved = {p: sorted(q.name for q in p.iterdir()) for p in landing.glob("*/*")}

    # CBS revises the Kerncijfers table, and its second feed page arrives cut in half.
    fake.tables[KERN_TABLE]["TableInfos"][0]["Modified"] = "2026-01-15T02:00:00"
    fake.feed_faults[2] = "cut"
    result = run_build(cfg, offline=False, show_progress=False)
    assert not result.success
    messages = " ".join(_failure_messages(result))
    assert f"{KERN_TABLE}: CBS has version 2026-01-15T02:00:00" in messages
    assert "could not be fetched whole" in messages and "not complete JSON" in messages
    # the first set to reach a second page is the areas' dimension (311 areas, pages of 200)
    assert f"/ODataFeed/odata/{KERN_TABLE}/WijkenEnBuurten" in messages and "skip=200" in messages
    assert sha(warehouse) == before
    assert {p: sorted(q.name for q in p.iterdir()) for p in landing.glob("*/*")} == saved

    # The Kerncijfers as saved again; now the police table is revised and its feed cut.
    fake.tables[KERN_TABLE]["TableInfos"][0]["Modified"] = kern_modified
    fake.tables[POLICE_TABLE]["TableInfos"][0]["Modified"] = "2026-02-01T02:00:00"
    fake.feed_faults[2] = "drop"
    result = run_build(cfg, offline=False, show_progress=False)
    assert not result.success
    messages = " ".join(_failure_messages(result))
    assert f"{POLICE_TABLE}: CBS has version 2026-02-01T02:00:00" in messages
    assert f"/ODataFeed/odata/{POLICE_TABLE}/" in messages and "skip=200" in messages
    assert sha(warehouse) == before
    assert {p: sorted(q.name for q in p.iterdir()) for p in landing.glob("*/*")} == saved
