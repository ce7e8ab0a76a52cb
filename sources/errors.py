"""The one error every source raises for an input it cannot use at all."""

from __future__ import annotations

from pathlib import Path


class UnreadableInput(ValueError):
    """A whole input is unusable; the message always names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")
