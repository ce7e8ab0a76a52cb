"""The explicit kaart download step, over real HTTP from a loopback server."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

from sources.kaart import read_kaart_folder
from tests.conftest import DEMO_LANDING, write_demo_config
from tests.statline_server import FakeStatLine, StatLineServer

GPKG = DEMO_LANDING / "cbs_kaart" / "2023" / "wijkenbuurten_2023.gpkg"


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("WijkBuurtkaart_2023_v1/wijkenbuurten_2023_v1.gpkg", GPKG.read_bytes())
        z.writestr("WijkBuurtkaart_2023_v1/Toelichting.pdf", b"%PDF-")
        z.writestr("../evil.gpkg", b"x")  # flattened: lands inside the folder or nowhere
    return buf.getvalue()


def test_download_unpacks_the_kaart_and_keeps_the_archive(tmp_path):
    body = zipped()
    # The first reply is cut short: retried, not unpacked half.
    fake = FakeStatLine({}, files={"/kaart/wijkbuurtkaart_2023_v1.zip": body}, faults=["cut"])
    cfg = write_demo_config(tmp_path, **{"backoff_seconds = 2": "backoff_seconds = 0"})
    with StatLineServer(fake) as server:
        url = server.base_url.replace("/ODataApi/odata", "/kaart/wijkbuurtkaart_2023_v1.zip")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "kaart",
                "download",
                "--year",
                "2023",
                "--url",
                url,
                "--config",
                str(cfg),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    assert len(fake.requests) == 2
    folder = tmp_path / "landing" / "cbs_kaart" / "2023"
    assert sorted(p.name for p in folder.iterdir()) == ["evil.gpkg", "wijkenbuurten_2023_v1.gpkg"]
    assert not (tmp_path / "landing" / "evil.gpkg").exists()
    assert (
        tmp_path / "landing" / "cbs_kaart" / "downloads" / "2023" / "wijkbuurtkaart_2023_v1.zip"
    ).read_bytes() == body
    (folder / "evil.gpkg").unlink()
    levels = sorted(layer.level for layer in read_kaart_folder(folder))
    assert levels == ["buurt", "gemeente", "wijk"]


def test_download_that_keeps_failing_exits_1(tmp_path):
    fake = FakeStatLine({}, faults=["503"] * 10)
    cfg = write_demo_config(
        tmp_path, **{"backoff_seconds = 2": "backoff_seconds = 0", "retries = 4": "retries = 1"}
    )
    with StatLineServer(fake) as server:
        url = server.base_url + "/k.zip"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "kaart",
                "download",
                "--year",
                "2023",
                "--url",
                url,
                "--config",
                str(cfg),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 1
    assert "HTTP 503" in proc.stderr and "gave up after 2 attempts" in proc.stderr
    assert not (tmp_path / "landing" / "cbs_kaart" / "2023").exists()
