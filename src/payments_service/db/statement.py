"""SQL with named parameters: `:name` in the text, numbered `$1, $2, ...` once, at import.

Statements are built from column lists that the field declarations derive, so their placeholders
cannot be numbered by hand: each name gets its number where it first appears, and the arguments
are passed by name.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# `:name`, but not the `::type` of a cast.
PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Statement:
    sql: str  # with $1, $2, ...: the form asyncpg prepares (and caches per connection)
    names: tuple[str, ...]  # the parameter of each $n, in order

    def args(self, **values: object) -> tuple[Any, ...]:
        """The arguments in $n order. Every parameter is given by name, none more (a missing
        one is a KeyError)."""
        if len(values) != len(self.names):
            raise TypeError(f"{self.names} expected, {tuple(values)} given")
        return tuple(values[name] for name in self.names)

    def bind(self, **values: object) -> tuple[Any, ...]:
        """The SQL and its arguments as asyncpg takes them: `conn.fetch(*STATEMENT.bind(...))`."""
        return (self.sql, *self.args(**values))


def statement(text: str) -> Statement:
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match[1]
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Statement(PARAMETER.sub(number, text), tuple(names))


def placeholders(names: Iterable[str]) -> str:
    """`:a, :b, ...`: the VALUES of an INSERT whose parameters are named as its columns."""
    return ", ".join(f":{name}" for name in names)
