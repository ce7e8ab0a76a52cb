"""The test StatLine server (`tests/statline_server.py`) with the `$filter`s the police queries
send: comparisons joined by `and` / `or`, with parentheses, e.g.
`substring(WijkenEnBuurten,2,4) eq '1916' and (SoortMisdrijf eq '0.0.0 ' or ...)`.

Filtering is done here; the channels, paging and the wire format stay the base server's."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.statline_server import FakeStatLine, _matches

_TOKEN = re.compile(
    r"\s*(?:(?P<cmp>substring\(\w+,\d+,\d+\) eq '[^']*'|\w+ eq '[^']*')|(?P<op>\(|\)|and\b|or\b))"
)
Predicate = Callable[[dict], bool]


def parse_filter(text: str) -> Predicate:
    """A predicate on a row for an OData `$filter` of comparisons, `and`, `or`, parentheses."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"filter not understood at {pos}: {text[pos:]!r}")
        tokens.append(m["cmp"] or m["op"])
        pos = m.end()

    def expr(i: int) -> tuple[Predicate, int]:  # term ('or' term)*
        left, i = term(i)
        while i < len(tokens) and tokens[i] == "or":
            right, i = term(i + 1)
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left, i

    def term(i: int) -> tuple[Predicate, int]:  # factor ('and' factor)*
        left, i = factor(i)
        while i < len(tokens) and tokens[i] == "and":
            right, i = factor(i + 1)
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left, i

    def factor(i: int) -> tuple[Predicate, int]:
        if tokens[i] == "(":
            inner, i = expr(i + 1)
            if i >= len(tokens) or tokens[i] != ")":
                raise ValueError(f"unbalanced parentheses in {text!r}")
            return inner, i + 1
        comparison = tokens[i]
        return (lambda row: _matches(row, comparison)), i + 1

    predicate, end = expr(0)
    if end != len(tokens):
        raise ValueError(f"filter not understood: {text!r}")
    return predicate


class PoliceFakeStatLine(FakeStatLine):
    """A FakeStatLine that understands compound filters (on both channels)."""

    def predicate(self, flt: str) -> Predicate:
        return parse_filter(flt)
