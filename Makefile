# wijkmonitor: two commands on a fresh machine (Python 3.11 and make): `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
CONFIG ?= wijkmonitor.toml
RUN := $(UV) run --frozen

.PHONY: run test lint format bench dagster demo clean env

# uv from PyPI into a private folder when the machine has none: nothing else to install by hand.
.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# --compile-bytecode: machines that set PYTHONDONTWRITEBYTECODE (CI does) would otherwise
# compile Dagster and Great Expectations from source in every process the tests start.
env: $(UV)
	$(UV) sync --frozen --python 3.11 --compile-bytecode

run: env
	$(RUN) wijkmonitor demo init data/landing
	$(RUN) wijkmonitor build --config $(CONFIG) --offline

test: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) dagster definitions validate -m pipelines.definitions
	bash scripts/ensure_chromium.sh
	$(RUN) pytest -n auto --dist worksteal

format: env
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

# The UI and the daemon on the instance `wijkmonitor build` uses (DAGSTER_HOME, or
# .dagster_home beside the config's warehouse): its runs, materialisations and check results.
dagster: env
	home=$$($(RUN) wijkmonitor dagster-home --config $(CONFIG)) && \
	DAGSTER_HOME=$$home WIJKMONITOR_CONFIG=$(abspath $(CONFIG)) $(RUN) dagster dev -m pipelines.definitions

# The whole build at three scales against the DuckDB floor -> BENCHMARKS.md/.json (long;
# `make bench QUICK=1`: scaled down, under two minutes). Not part of `make test`.
bench: env
	$(RUN) python scripts/bench_e2e.py $(if $(QUICK),--quick)

demo: env
	$(RUN) python scripts/generate_demo.py

clean:
	rm -rf data .venv .tools .pytest_cache .ruff_cache
