"""The real Dagster `Definitions`: they load, the schedule is monthly at 06:00 Amsterdam time,
GX checks block, and the whole graph materialises into a temporary folder."""

from __future__ import annotations

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from pipelines.definitions import ASSET_CHECKS, ASSETS, WijkmonitorSettings, defs
from tests.conftest import demo_workspace
from tests.expected_graph import ALL_GROUPS, CHECKS, OBSERVABLE


def test_definitions_load_with_groups_by_layer():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == ALL_GROUPS
    observable = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_observable
    }
    assert observable == set(OBSERVABLE)


def test_every_asset_carries_the_code_version_the_cli_plans_with():
    from pipelines.versions import code_version

    graph = defs.resolve_asset_graph()
    versions = {graph.get(k).code_version for k in graph.materializable_asset_keys}
    assert versions == {code_version()}


def test_landing_versions_are_observed_as_the_cli_plan_computes_them(tmp_path):
    """The observable landing assets report the digest the CLI compares; a new delivery
    changes the version of its folder and no other."""
    from dagster import AssetKey, DagsterInstance

    from pipelines.versions import landing_data_versions, local_versions
    from sources.config import load_config

    cfg = demo_workspace(tmp_path, cbs_only=True)
    run_config = {"resources": {"settings": {"config": {"config_path": str(cfg)}}}}
    job = defs.resolve_implicit_global_asset_job_def()

    def observe() -> dict[str, str]:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance,
                run_config=run_config,
                asset_selection=[AssetKey(name) for name in OBSERVABLE],
            )
            assert result.success
            return {
                e.asset_key.to_user_string(): e.event_specific_data.asset_observation.tags[
                    "dagster/data_version"
                ]
                for e in result.all_events
                if e.event_type_value == "ASSET_OBSERVATION"
            }

    before = observe()
    assert before == landing_data_versions(local_versions(load_config(cfg)))
    folder = tmp_path / "landing" / "verzuim"
    folder.mkdir()
    (folder / "verzuim_2023-2024.csv").write_text("melding_id;leerling_id\n", encoding="utf-8")
    after = observe()
    assert {k for k in before if before[k] != after[k]} == {"landing_verzuim"}


def test_monthly_schedule_covers_the_whole_graph():
    schedule = defs.resolve_schedule_def("monthly_build_schedule")
    assert schedule.cron_schedule == "0 6 1 * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    job = defs.resolve_job_def(schedule.job_name)
    assert len(job.asset_layer.selected_asset_keys) == len(ASSETS)


def test_expectation_checks_are_blocking():
    specs = {spec.name: spec for check in ASSET_CHECKS for spec in check.check_specs}
    got = {(spec.asset_key.to_user_string(), name, spec.blocking) for name, spec in specs.items()}
    assert got == CHECKS
    assert specs["kaart_expectations_met"].asset_key == AssetKey("cbs_kaart_checked")


def test_whole_graph_materialises_into_a_temporary_folder(tmp_path):
    cfg = demo_workspace(tmp_path)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*ASSETS, *ASSET_CHECKS],
            resources={"settings": WijkmonitorSettings(config_path=str(cfg), offline=True)},
            instance=instance,
        )
    assert result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialised == {a.key.to_user_string() for a in ASSETS}
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {name: True for _, name, _ in CHECKS}
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT area_level) FROM indicators").fetchone()[0] == 6


def test_landing_sensor_asks_for_an_offline_build_when_a_file_arrives(tmp_path):
    from dagster import build_sensor_context, validate_run_config

    from pipelines.definitions import landing_sensor

    cfg = demo_workspace(tmp_path, cbs_only=True)
    settings = WijkmonitorSettings(config_path=str(cfg))
    instance = DagsterInstance.ephemeral()
    ctx = build_sensor_context(resources={"settings": settings}, instance=instance)
    first = landing_sensor(ctx)
    assert first.skip_message.startswith("watching")
    ctx = build_sensor_context(
        cursor=ctx.cursor, resources={"settings": settings}, instance=instance
    )
    assert "no new files" in landing_sensor(ctx).skip_message
    (tmp_path / "landing" / "cbs_kaart" / "2024" / "extra.geojson").write_text("{}")
    ctx = build_sensor_context(
        cursor=ctx.cursor, resources={"settings": settings}, instance=instance
    )
    request = landing_sensor(ctx)
    assert request.run_config["resources"]["settings"]["config"]["offline"] is True
    validate_run_config(defs.resolve_job_def("monthly_build"), request.run_config)
    selected = {k.to_user_string() for k in request.asset_selection}
    assert "cbs_kaart_layers" in selected and "published_warehouse" in selected
    assert not {"cbs_kerncijfers_tables", "uitkeringen_files", "politie_tables"} & selected

    # A new benefit delivery runs its own source asset and what depends on it, nothing else.
    folder = tmp_path / "landing" / "uitkeringen"
    folder.mkdir(exist_ok=True)
    (folder / "uitkeringen_2025-01.csv").write_text("client_id;geboortejaar\n")
    ctx = build_sensor_context(
        cursor=ctx.cursor, resources={"settings": settings}, instance=instance
    )
    selected = {k.to_user_string() for k in landing_sensor(ctx).asset_selection}
    assert selected == {
        "uitkeringen_files",
        "uitkeringen_checked",
        "municipal_indicator_facts_table",
        "protected_indicator_facts",
        "published_warehouse",
    }
    # ... and records the folder's new version, so the UI shows it stale while it waits.
    from pipelines.versions import landing_data_versions, local_versions
    from sources.config import load_config

    record = instance.get_latest_data_version_record(AssetKey("landing_uitkeringen"), True)
    wanted = landing_data_versions(local_versions(load_config(cfg)))["landing_uitkeringen"]
    assert record.event_log_entry.tags["dagster/data_version"] == wanted


def test_the_build_planner_knows_every_asset():
    from pipelines.versions import ASSET_NAMES

    assert set(ASSET_NAMES) == {a.key.to_user_string() for a in ASSETS}


def test_failed_builds_are_reported_by_a_run_failure_sensor():
    sensor_def = defs.resolve_sensor_def("report_failed_build")
    assert sensor_def.default_status.value == "RUNNING"
