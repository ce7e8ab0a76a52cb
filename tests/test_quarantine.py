"""Bad rows in an input are quarantined with their reason and counted on their own layer:
rows read = accepted + quarantined, per input."""

from __future__ import annotations

import duckdb
import geopandas as gpd
import pandas as pd

from pipelines.cli import run_build
from tests.conftest import demo_workspace


def test_a_duplicate_buurt_in_a_geopackage_is_quarantined_on_its_own_layer(tmp_path):
    cfg = demo_workspace(tmp_path, cbs_only=True)
    gpkg = tmp_path / "landing" / "cbs_kaart" / "2023" / "wijkenbuurten_2023.gpkg"
    buurten = gpd.read_file(gpkg, layer="buurten")
    n = len(buurten)
    doubled = pd.concat([buurten, buurten.iloc[[3]]], ignore_index=True)
    gpd.GeoDataFrame(doubled, crs=buurten.crs).to_file(gpkg, layer="buurten", driver="GPKG")
    assert run_build(cfg, offline=True, show_progress=False).success
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        q = con.execute("SELECT line, area_code, reason FROM quarantine_cbs_kaart").fetchall()
        assert len(q) == 1
        line, code, reason = q[0]
        assert (line, code) == (n + 1, buurten["buurtcode"].iloc[3])
        assert "dubbel" in reason.lower() or "duplicate" in reason.lower()
        rows = con.execute(
            """SELECT input_id, rows_read, rows_accepted, rows_quarantined FROM meta_input
               WHERE source = 'cbs_kaart' AND period_year = 2023 ORDER BY input_id"""
        ).fetchall()
    by_layer = {r[0].split(":")[1]: r[1:] for r in rows}
    assert by_layer["buurten"] == (n + 1, n, 1)
    assert by_layer["wijken"][2] == 0 and by_layer["gemeenten"][2] == 0
