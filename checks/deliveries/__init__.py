"""One declaration per municipal delivery source (see `spec.py`): every module here that
defines `DECLARATION` is a source. Adding a source is adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from checks.deliveries.spec import Declaration

HERE = Path(__file__).parent
_NOT_SOURCES = {"spec", "common", "ddl", "docs"}


def _load() -> dict[str, Declaration]:
    found = []
    for info in pkgutil.iter_modules([str(HERE)]):
        if info.name in _NOT_SOURCES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        declaration = getattr(module, "DECLARATION", None)
        if isinstance(declaration, Declaration):
            if declaration.source != info.name:
                raise ValueError(f"{module.__file__}: declares {declaration.source!r}")
            found.append(declaration)
    return {d.source: d for d in sorted(found, key=lambda d: (d.order, d.source))}


DECLARATIONS: dict[str, Declaration] = _load()


def declaration(source: str) -> Declaration:
    try:
        return DECLARATIONS[source]
    except KeyError:
        raise ValueError(
            f"unknown municipal source {source!r}; known: {', '.join(DECLARATIONS)}"
        ) from None
