"""Run a Great Expectations 1.x suite on a pandas frame with an ephemeral context.

Each source's module in `checks/` lists its expectations as data; this module only runs them
and turns the result into something Dagster metadata and the warehouse can store."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Rows GX validates at most (see run_suite).
MAX_ROWS = 200_000

# GX prints progress bars and analytics chatter; a pipeline run wants neither.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int
    sample: list[Any] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # where the unexpected rows came from


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {len(self.outcomes)} expectations met"
        parts = [
            f"{o.expectation}({o.column}) failed for {o.unexpected_count} rows"
            + (f", e.g. {o.sample[:3]}" if o.sample else "")
            + (f" in {', '.join(o.inputs)}" if o.inputs else "")
            for o in self.failed
        ]
        return f"{self.suite}: " + "; ".join(parts)


def sample_positions(n: int) -> np.ndarray:
    """The rows `run_suite` validates of a frame of `n` rows: all, or `MAX_ROWS` spread
    evenly (a caller with rows in files can read just these)."""
    if n <= MAX_ROWS:
        return np.arange(n, dtype="int64")
    return np.unique(np.linspace(0, n - 1, MAX_ROWS).astype("int64"))


def run_suite(
    suite_name: str,
    frame: pd.DataFrame,
    expectations: Sequence[Any],
    where: Sequence[str] | None = None,
) -> SuiteOutcome:
    """Validate `frame` against `expectations` (gx.expectations.* objects).

    `where` labels each row with the input it came from (a file), so that a failure can say
    on which file it failed.

    A frame of more than `MAX_ROWS` rows is validated on `MAX_ROWS` rows spread evenly over
    it (the same rows on every run), and `unexpected_count` counts within those: GX's pandas
    engine holds every text cell as a Python object and hashes the whole frame, which costs
    gigabytes on a large municipal delivery. Every rule of the municipal suites is enforced
    on every row before GX by the contract (`checks.municipal.split_delivery`), uniqueness
    included; GX is the second line that the accepted rows have the promised shape."""
    import great_expectations as gx

    batch_def = _batch_definition()
    # Not added to the context's suite store: the store serialises the suite again on every
    # added expectation (a third of the time of a small suite), and nothing reads it back.
    suite = gx.ExpectationSuite(name=suite_name, expectations=list(expectations))
    if len(frame) > MAX_ROWS:
        rows = sample_positions(len(frame))
        frame = frame.iloc[rows]
        where = [where[i] for i in rows] if where is not None else None
    # GX's pandas engine does not know pandas' new string dtype everywhere; object is safe.
    plain = frame.astype(
        {c: object for c in frame.columns if pd.api.types.is_string_dtype(frame[c])}
    )
    plain = plain.reset_index(drop=True)
    batch = batch_def.get_batch(batch_parameters={"dataframe": plain})
    result = batch.validate(suite)
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                success=bool(r.success),
                unexpected_count=int(res.get("unexpected_count") or 0),
                sample=[_plain(v) for v in (res.get("partial_unexpected_list") or [])[:5]],
                inputs=_where(where, res.get("partial_unexpected_index_list")),
            )
        )
    return SuiteOutcome(suite=suite_name, success=bool(result.success), outcomes=outcomes)


@functools.cache
def _batch_definition():
    """One ephemeral GX context per process with one pandas data frame asset: every suite is
    validated through it (a context, a data source and an asset per suite cost ~50 ms each
    time, and nothing of them outlives the validation)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("wijkmonitor")
    asset = source.add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _where(where: Sequence[str] | None, index_list: Any) -> list[str]:
    if where is None or not index_list:
        return []
    labels = []
    for i in index_list:
        pos = i if isinstance(i, int) else (i.get("index") if isinstance(i, dict) else None)
        if isinstance(pos, int) and 0 <= pos < len(where) and where[pos] not in labels:
            labels.append(where[pos])
    return labels


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
