"""SQL with named parameters: `:name` in the text, numbered `$1, $2, ...` once, at import.

Statements are built from column lists that the field declarations derive, so their placeholders
cannot be numbered by hand: each name gets its number where it first appears, and the arguments
are passed by name.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

# `:name`, but not the `::type` of a cast.
PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Statement:
    sql: str  # with $1, $2, ...: the form asyncpg prepares (and caches per connection)
    names: tuple[str, ...]  # the parameter of each $n, in order
    # The values in $n order, picked in C (the write path binds five statements per request).
    _pick: Callable[[dict[str, object]], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pick = itemgetter(*self.names) if self.names else (lambda _values: ())
        if len(self.names) == 1:
            object.__setattr__(self, "_pick", lambda values: (pick(values),))
        else:
            object.__setattr__(self, "_pick", pick)

    def args(self, **values: object) -> tuple[Any, ...]:
        """The arguments in $n order. Every parameter is given by name, none more (a missing
        one is a KeyError)."""
        if len(values) != len(self.names):
            raise TypeError(f"{self.names} expected, {tuple(values)} given")
        picked: tuple[Any, ...] = self._pick(values)
        return picked

    def bind(self, **values: object) -> tuple[Any, ...]:
        """The SQL and its arguments as asyncpg takes them: `conn.fetch(*STATEMENT.bind(...))`."""
        if len(values) != len(self.names):
            raise TypeError(f"{self.names} expected, {tuple(values)} given")
        return (self.sql, *self._pick(values))


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
