"""Just enough OData for the queries a console sends: `$filter`, `$orderby`, `$select`, `$top`.

The filter grammar covers comparisons (eq ne gt ge lt le) on paths like `initiatedBy/user/userPrincipalName`,
`and`/`or`/`not`, parentheses, `startswith`/`endswith`/`contains`, and `any` lambdas
(`targetResources/any(t: t/userPrincipalName eq 'x')`). Datetime literals compare as moments.
Anything else is a 400, as Graph answers an unsupported filter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..timefmt import from_iso, to_iso


class QueryError(ValueError):
    """A query option we cannot understand: Graph answers 400 BadRequest."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<dt>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<punct>[(),:])
      | (?P<word>[A-Za-z_@$][\w./@$-]*)
    )""",
    re.VERBOSE,
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"startswith", "endswith", "contains"}
_MISSING = object()

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"Invalid filter clause: unexpected text at {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "dt":
        return from_iso(text)
    if kind == "num":
        return float(text) if "." in text else int(text)
    return {"true": True, "false": False, "null": None}[text]


def resolve(item: Any, path: str) -> Any:
    """`a/b/c` into nested dicts (names match case-insensitively, as Graph's); missing is _MISSING."""
    for part in path.split("/"):
        if not isinstance(item, dict):
            return _MISSING
        found = item.get(part, _MISSING)
        if found is _MISSING:
            lowered = part.lower()
            found = next((v for k, v in item.items() if k.lower() == lowered), _MISSING)
        if found is _MISSING:
            return _MISSING
        item = found
    return item


@functools.lru_cache(maxsize=64)
def _iso_of(moment: datetime) -> str:
    return to_iso(moment)


def _is_our_iso(value: str) -> bool:
    """`2026-11-24T21:05:09.123Z`, the only form the tenant writes: compares correctly as text."""
    return len(value) == 24 and value[-1] == "Z" and value[19] == "." and value[10] == "T"


def _comparable(value: Any, literal: Any) -> tuple[Any, Any] | None:
    if isinstance(literal, datetime):
        if not isinstance(value, str):
            return None
        if _is_our_iso(value) and literal.microsecond % 1000 == 0:
            return value, _iso_of(literal)
        try:
            return from_iso(value), literal
        except ValueError:
            return None
    if isinstance(literal, str) and isinstance(value, str):
        return value.lower(), literal.lower()
    return value, literal


def _compare(op: str, value: Any, literal: Any) -> bool:
    if value is _MISSING:
        value = None
    if op in ("eq", "ne") and (literal is None or value is None):
        return (value is literal) == (op == "eq")
    pair = _comparable(value, literal)
    if pair is None:
        return False
    left, right = pair
    try:
        return {
            "eq": left == right, "ne": left != right, "gt": left > right,
            "ge": left >= right, "lt": left < right, "le": left <= right,
        }[op]
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.scopes: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].lower() != value):
            raise QueryError(f"Invalid filter clause: expected {value or 'more'}")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.peek() is not None:
            raise QueryError(f"Invalid filter clause: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return predicate

    def expr(self) -> Predicate:
        left = self.conjunction()
        while (token := self.peek()) and token[1].lower() == "or":
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda item: a(item) or b(item))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.term()
        while (token := self.peek()) and token[1].lower() == "and":
            self.take()
            right = self.term()
            left = (lambda a, b: lambda item: a(item) and b(item))(left, right)
        return left

    def term(self) -> Predicate:
        kind, text = self.take()
        if text == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if kind == "word" and text.lower() == "not":
            inner = self.term()
            return lambda item: not inner(item)
        if kind == "word" and text.lower() in _FUNCS and self.peek() == ("punct", "("):
            return self.function(text.lower())
        if kind != "word":
            raise QueryError(f"Invalid filter clause: {text!r} is not a property")
        if text.lower().endswith("/any") and self.peek() == ("punct", "("):
            return self.any_lambda(text[: -len("/any")])
        op = self.take()[1].lower()
        if op not in _OPS:
            raise QueryError(f"Invalid filter clause: unsupported operator {op!r}")
        lkind, ltext = self.take()
        if lkind == "word" and ltext not in ("true", "false", "null"):
            raise QueryError(f"Invalid filter clause: {ltext!r} is not a literal")
        literal = _literal(lkind, ltext)
        getter = self.getter(text)
        return lambda item: _compare(op, getter(item), literal)

    def getter(self, path: str) -> Callable[[dict[str, Any]], Any]:
        head, _, rest = path.partition("/")
        if self.scopes and head == self.scopes[-1]:
            return lambda item: resolve(item, rest) if rest else item
        return lambda item: resolve(item, path)

    def function(self, name: str) -> Predicate:
        self.take("(")
        _, path = self.take()
        self.take(",")
        lkind, ltext = self.take()
        self.take(")")
        needle = str(_literal(lkind, ltext)).lower()
        getter = self.getter(path)
        test = {"startswith": str.startswith, "endswith": str.endswith, "contains": str.__contains__}[name]

        def check(item: dict[str, Any]) -> bool:
            value = getter(item)
            return isinstance(value, str) and test(value.lower(), needle)

        return check

    def any_lambda(self, path: str) -> Predicate:
        self.take("(")
        _, var = self.take()
        self.take(":")
        self.scopes.append(var)
        inner = self.expr()
        self.scopes.pop()
        self.take(")")
        getter = self.getter(path)

        def check(item: dict[str, Any]) -> bool:
            values = getter(item)
            return isinstance(values, list) and any(inner(v) for v in values)

        return check


def compile_filter(text: str) -> Predicate:
    return _Parser(text).parse()


def order(items: list[dict[str, Any]], orderby: str) -> list[dict[str, Any]]:
    """`$orderby=createdDateTime desc,severity`: stable sorts from the last key to the first."""
    for clause in reversed([c.strip() for c in orderby.split(",") if c.strip()]):
        path, _, direction = clause.partition(" ")
        descending = direction.strip().lower() == "desc"

        def key(item: dict[str, Any], path: str = path) -> tuple[int, str]:
            value = resolve(item, path)
            return (0, "") if value in (_MISSING, None) else (1, str(value))

        items = sorted(items, key=key, reverse=descending)
    return items


def select(item: dict[str, Any], fields: str) -> dict[str, Any]:
    """`$select=id,displayName`: the asked-for properties, plus `id` and OData annotations."""
    wanted = {f.strip().lower() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in item.items() if k.lower() in wanted or k == "id" or k.startswith("@odata.")}
