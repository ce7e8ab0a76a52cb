"""The StatLine client over real HTTP against a local server: paging, retries, saving as received."""

from __future__ import annotations

import json

import pytest

from sources.statline import (
    Query,
    StatLineClient,
    StatLineError,
    kerncijfers_queries,
    key_stem,
    latest_snapshot,
    read_saved_table,
)
from tests.statline_server import FakeStatLine, StatLineServer

ROWS = [
    {"ID": i, "WijkenEnBuurten": f"BU1916{i:04d}", "AantalInwoners_5": i * 10} for i in range(7)
]


def client(server, **kw) -> StatLineClient:
    return StatLineClient(base_url=server.base_url, backoff_seconds=0, sleep=lambda s: None, **kw)


def test_pages_follow_next_link_until_absent():
    fake = FakeStatLine({"T1": {"TypedDataSet": ROWS}}, page_size=3)
    with StatLineServer(fake) as server:
        pages = list(client(server).pages(Query("TypedDataSet").url(server.feed_url, "T1")))
    assert [len(doc["value"]) for _, _, doc in pages] == [3, 3, 1]
    assert [r["ID"] for _, _, doc in pages for r in doc["value"]] == list(range(7))
    assert "odata.nextLink" not in pages[-1][2]


@pytest.mark.parametrize("fault", ["503", "reset", "cut"])
def test_transient_faults_are_retried(fault):
    fake = FakeStatLine({"T1": {"TypedDataSet": ROWS}}, faults=[fault, fault])
    with StatLineServer(fake) as server:
        pages = list(
            client(server, retries=2).pages(Query("TypedDataSet").url(server.feed_url, "T1"))
        )
    assert len(pages[0][2]["value"]) == 7
    assert len(fake.requests) == 3


def test_gives_up_after_the_retries_with_the_url_in_the_message():
    fake = FakeStatLine({"T1": {"TypedDataSet": ROWS}}, faults=["503"] * 5)
    waits = []
    c = StatLineClient(base_url="", retries=2, backoff_seconds=1.5, sleep=waits.append)
    with StatLineServer(fake) as server:
        c.base_url = server.base_url
        with pytest.raises(StatLineError, match=r"HTTP 503 .*gave up after 3 attempts"):
            list(c.pages(Query("TypedDataSet").url(server.feed_url, "T1")))
    assert waits == [1.5, 3.0]  # exponential backoff


def test_a_404_is_not_retried():
    fake = FakeStatLine({})
    with StatLineServer(fake) as server, pytest.raises(StatLineError, match="HTTP 404"):
        list(client(server, retries=3).pages(Query("TypedDataSet").url(server.feed_url, "NOPE")))
    assert len(fake.requests) == 1


def test_fetch_saves_every_reply_byte_for_byte(tmp_path):
    tables = {
        "T1": {
            "TableInfos": [{"Identifier": "T1", "Modified": "2024-01-01T00:00:00"}],
            "DataProperties": [{"odata.type": "Cbs.OData.Topic", "Key": "AantalInwoners_5"}],
            "WijkenEnBuurten": [{"Key": "GM1916    ", "Title": "Leidschendam-Voorburg"}],
            "TypedDataSet": ROWS
            + [{"ID": 9, "WijkenEnBuurten": "NL00      ", "AantalInwoners_5": 1}],
        }
    }
    fake = FakeStatLine(tables, page_size=4)
    with StatLineServer(fake) as server:
        snapshot = client(server).fetch_table("T1", kerncijfers_queries("GM1916"), tmp_path)
        manifest = json.loads((snapshot / "manifest.json").read_text())
        for f in manifest["files"]:
            assert (snapshot / f["file"]).read_bytes() == fake.reply_to(f["url"])[1]
    assert latest_snapshot(tmp_path, "T1") == snapshot
    table = read_saved_table(snapshot)
    assert table.modified == "2024-01-01T00:00:00"
    # 7 buurten of GM1916 in two pages + the national row
    assert [r["WijkenEnBuurten"].strip() for r in table.rows][-1] == "NL00"
    assert len(table.rows) == 8


def test_partial_snapshot_is_never_taken_for_complete(tmp_path):
    (tmp_path / "T1" / "20250101T000000Z.partial").mkdir(parents=True)
    assert latest_snapshot(tmp_path, "T1") is None


@pytest.mark.parametrize(
    ("key", "stem"),
    [
        ("HuishoudensTotaal_28", "HuishoudensTotaal"),
        ("HuishoudensTotaal_29", "HuishoudensTotaal"),
        ("k_0Tot15Jaar_8", "k_0Tot15Jaar"),
        ("k_40HuishoudensMetLaagsteInkomen_70", "k_40HuishoudensMetLaagsteInkomen"),
        ("WijkenEnBuurten", "WijkenEnBuurten"),
        ("ID", "ID"),
    ],
)
def test_key_stem(key, stem):
    assert key_stem(key) == stem


def test_version_digests_are_remembered_only_while_a_file_is_unchanged(tmp_path):
    import hashlib
    import stat
    import time

    from sources.digests import SETTLED_NS, remembered, sha256_files

    page, store = tmp_path / "TypedDataSet_p001.json", tmp_path / "digests.json"
    page.write_bytes(b'{"value": [1]}')
    time.sleep(SETTLED_NS / 1e9 + 0.1)  # a file changed just now is never remembered
    with remembered(store):
        assert sha256_files([page]) == [hashlib.sha256(b'{"value": [1]}').hexdigest()]

    def remembered_for_page() -> list[str]:  # the store may hold other files this process hashed
        kept = json.loads(store.read_text("utf-8"))
        return [d for i, d in kept.items() if i.startswith(f"{page}|")]

    assert remembered_for_page() == [hashlib.sha256(b'{"value": [1]}').hexdigest()]
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    page.write_bytes(b'{"value": [2]}')  # the same size: only its ctime tells the change
    with remembered(store):
        assert sha256_files([page]) == [hashlib.sha256(b'{"value": [2]}').hexdigest()]
    # The old entry is dropped; the new one is kept only if the hashing came more than
    # SETTLED_NS after the write (not on a fast machine, maybe on a loaded one).
    new = hashlib.sha256(b'{"value": [2]}').hexdigest()
    assert remembered_for_page() in ([], [new])
