"""`wijkmonitor validate` for the municipality's deliveries: the contract and, for files with
addresses or points, placing them in buurten with the boundaries and the postcode crosswalk of
the configured landing folder, as a build would. Nothing is kept: the accepted rows wait in a
temporary owner-only folder in the restricted store's folder while they are placed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from checks.deliveries import DECLARATIONS, declaration
from checks.municipal import EMPTY_DELIVERY, split_delivery
from checks.quarantine import problems
from checks.report import ValidationReport
from sources.config import Config
from sources.delivery import find_deliveries, open_delivery, read_delivery
from sources.errors import UnreadableInput
from sources.kaart import read_kaart_folder
from transforms.geocode import buurt_polygons, crosswalk_frame, place
from warehouse.stores import private_dir

# The sources whose rows are the postcode + huisnummer -> buurt crosswalk.
CROSSWALK_SOURCES = tuple(s for s, d in DECLARATIONS.items() if d.crosswalk)

# Rows placed at a time by `validate_delivery`.
PLACE_SLICE = 500_000


def _crosswalk(config: Config) -> pd.DataFrame | None:
    accepted = [
        split_delivery(read_delivery(p, source), config.gemeente).accepted
        for source in CROSSWALK_SOURCES
        if (config.paths.landing / source).is_dir()
        for p in find_deliveries(config.paths.landing / source, source).current
    ]
    accepted = [a for a in accepted if len(a)]
    return crosswalk_frame(pd.concat(accepted, ignore_index=True)) if accepted else None


def _polygons(config: Config):
    root = config.paths.landing / "cbs_kaart"
    layers = {y: read_kaart_folder(root / str(y)) for y in config.years if (root / str(y)).is_dir()}
    return buurt_polygons(layers, config.gemeente)


def validate_delivery(path: Path, source: str, config: Config) -> ValidationReport:
    """The report `validate --json` prints: rows read = accepted + quarantined, one problem
    per quarantined row (its line number in the file, the column, the reason and the
    offending value: the operator owns the file, so may see it; the published quarantine
    tables do not get it)."""
    # The accepted rows wait in an owner-only folder of the restricted store's folder while
    # they are placed (a large delivery is never held whole); it is gone afterwards.
    root = private_dir(config.paths.restricted)
    with tempfile.TemporaryDirectory(prefix=".validate-", dir=root) as folder:
        return _validate(path, source, config, Path(folder))


def _validate(path: Path, source: str, config: Config, folder: Path) -> ValidationReport:
    try:
        checked = split_delivery(open_delivery(path, source), config.gemeente, folder)
    except UnreadableInput as exc:
        return ValidationReport.rejected(source, exc)
    quarantine = checked.quarantine
    accepted = checked.rows_accepted
    placement_rule = declaration(source).placement
    if placement_rule is not None and accepted:
        polygons, crosswalk = _polygons(config), _crosswalk(config)
        # Each row is placed on its own, and only the counts and the quarantine are reported:
        # placed in slices, a large delivery's placed rows are never all held at once.
        quarantines = [quarantine]
        accepted = 0
        for batch in checked.accepted_batches(PLACE_SLICE):
            placement = place(
                batch,
                year_column=placement_rule.year_column,
                polygons=polygons,
                crosswalk=crosswalk,
                gemeente=config.gemeente,
            )
            accepted += placement.rows_placed
            quarantines.append(placement.quarantine)
            del placement, batch
        quarantine = pd.concat(quarantines, ignore_index=True)
    report = ValidationReport.counted(
        source,
        path,
        checked.rows_read,
        accepted,
        problems(quarantine),
    )
    if checked.rows_read == 0:
        report.warnings.append(EMPTY_DELIVERY)
    assert report.rows_read == report.rows_accepted + report.rows_quarantined
    return report
