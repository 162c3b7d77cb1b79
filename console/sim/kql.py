"""Just enough KQL for the simulated tenant's advanced hunting: a table, then `where`, `project`, `take`.

`Table | where A == "x" and B has 'y' | where Timestamp > ago(7d) | project A, B | order by A desc | take 10`.
Comparisons: == != =~ !~ has contains startswith endswith in, and < <= > >= on numbers and times
(`ago(7d)`, `datetime(2026-01-01)`). Strings follow KQL: "…" and '…' with backslash escapes, @"…" verbatim.
Anything else is a KqlError, which the tenant answers 400, as Defender refuses a query it cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..timefmt import from_iso, to_iso

MAX_ROWS = 10_000          # Defender returns at most 100,000 rows; the sim keeps its own answers smaller


class KqlError(ValueError):
    """A query the simulated tenant cannot run."""


_TOKEN = re.compile(r"""\s*(?:
      (?P<str>@"(?:[^"]|"")*"|@'(?:[^']|'')*'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<op>==|!=|=~|!~|<=|>=|<|>|\||\(|\)|,)
    | (?P<num>\d+(?:\.\d+)?)(?P<unit>d|h|m|s)?\b
    | (?P<word>[A-Za-z_][\w.]*)
)""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_COMPARE = {"==", "!=", "=~", "!~", "<", "<=", ">", ">=", "has", "contains", "startswith", "endswith", "in"}
TABLES = {  # Defender XDR's advanced hunting tables: a query naming another one is refused, as Defender does
    "AADSignInEventsBeta", "AlertEvidence", "AlertInfo", "BehaviorEntities", "BehaviorInfo", "CloudAppEvents",
    "DeviceEvents", "DeviceFileEvents", "DeviceInfo", "DeviceLogonEvents", "DeviceNetworkEvents",
    "DeviceProcessEvents", "EmailAttachmentInfo", "EmailEvents", "EmailPostDeliveryEvents", "EmailUrlInfo",
    "EntraIdSignInEvents", "IdentityDirectoryEvents", "IdentityInfo", "IdentityLogonEvents", "IdentityQueryEvents",
    "UrlClickEvents",
}
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

Row = dict[str, Any]


def parse_string(token: str) -> str:
    """A KQL string literal's value."""
    if token.startswith("@"):
        quote = token[1]
        return token[2:-1].replace(quote * 2, quote)
    body, out, index = token[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 1
            if index >= len(body) or body[index] not in _ESCAPES:
                raise KqlError(f"unknown escape in string literal {token[:40]!r}")
            out.append(_ESCAPES[body[index]])
        else:
            out.append(char)
        index += 1
    return "".join(out)


def tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise KqlError(f"unexpected text at {text[pos:pos + 20]!r}")
        pos = match.end()
        if match["str"] is not None:
            out.append(("str", parse_string(match["str"])))
        elif match["op"] is not None:
            out.append(("op", match["op"]))
        elif match["num"] is not None:
            value = float(match["num"])
            out.append(("span", value * _UNITS[match["unit"]]) if match["unit"] else ("num", value))
        else:
            out.append(("word", match["word"]))
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Query:
    def __init__(self, text: str, now: datetime) -> None:
        self.items = tokens(text)
        self.pos = 0
        self.now = now

    def peek(self) -> tuple[str, Any] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self, value: str | None = None) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise KqlError("the query ends too early")
        if value is not None and token[1] != value:
            raise KqlError(f"expected {value!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def name(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise KqlError(f"expected a column name, found {value!r}")
        return str(value)

    def literal(self) -> Any:
        kind, value = self.take()
        if kind in ("str", "num"):
            return value
        if kind == "word" and value in ("ago", "datetime", "now"):
            self.take("(")
            if value == "now":
                self.take(")")
                return self.now
            if value == "ago":
                span_kind, span = self.take()
                if span_kind != "span":
                    raise KqlError("ago() needs a timespan like 7d")
                self.take(")")
                return self.now - timedelta(seconds=span)
            parts = []
            while self.peek() and self.peek() != ("op", ")"):
                parts.append(str(self.take()[1]))
            self.take(")")
            try:
                return from_iso("".join(parts))
            except ValueError:
                raise KqlError(f"not a datetime: {''.join(parts)!r}") from None
        if kind == "word" and value in ("true", "false"):
            return value == "true"
        raise KqlError(f"expected a literal, found {value!r}")

    def condition(self) -> Callable[[Row], bool]:
        column = self.name()
        _, op = self.take()
        if op not in _COMPARE:
            raise KqlError(f"unsupported operator {op!r}")
        if op == "in":
            self.take("(")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.take(",")
                values.append(self.literal())
            self.take(")")
            return lambda row: row.get(column) in values
        value = self.literal()
        return lambda row: _compare(row.get(column), op, value)

    def where(self) -> Callable[[Row], bool]:
        tests = [[self.condition()]]
        while self.peek() in (("word", "and"), ("word", "or")):
            joiner = self.take()[1]
            if joiner == "and":
                tests[-1].append(self.condition())
            else:
                tests.append([self.condition()])
        return lambda row: any(all(test(row) for test in group) for group in tests)


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return from_iso(value)
        except ValueError:
            return None
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("<", "<=", ">", ">="):
        if isinstance(right, datetime):
            left = _as_time(left)
        if left is None or isinstance(left, str) != isinstance(right, str):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    if isinstance(right, datetime):
        return _as_time(left) == right if op == "==" else _as_time(left) != right
    text, needle = str(left if left is not None else ""), str(right)
    if op == "==":
        return left == right or (isinstance(right, float) and left == right)
    if op == "!=":
        return left != right
    if op == "=~":
        return text.casefold() == needle.casefold()
    if op == "!~":
        return text.casefold() != needle.casefold()
    lowered, wanted = text.casefold(), needle.casefold()
    if op in ("has", "contains"):
        return wanted in lowered
    if op == "startswith":
        return lowered.startswith(wanted)
    return lowered.endswith(wanted)


def _type_of(values: list[Any], column: str) -> str:
    present = [v for v in values if v is not None]
    if column == "Timestamp" or column.endswith("Time") or column.endswith("DateTime"):
        return "DateTime"
    if present and all(isinstance(v, bool) for v in present):
        return "Boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Int64"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "Double"
    if present and all(isinstance(v, dict | list) for v in present):
        return "Object"
    return "String"


def run_query(text: str, rows: list[Row], now: datetime | None = None) -> tuple[list[dict[str, str]], list[Row]]:
    """(schema, results) as runHuntingQuery returns them: schema [{name, type}], results [{column: value}]."""
    query = _Query(text, now or datetime.now(UTC))
    table = query.name()
    chosen = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows if row.get("_table") == table]
    if table not in TABLES and not any(row.get("_table") == table for row in rows):
        raise KqlError(f"Failed to resolve table expression named '{table}'")
    columns: list[str] = []
    for row in chosen:
        columns += [k for k in row if k not in columns]
    limit = MAX_ROWS
    while query.peek() is not None:
        query.take("|")
        _, verb = query.take()
        if verb == "where":
            test = query.where()
            chosen = [row for row in chosen if test(row)]
        elif verb in ("take", "limit"):
            kind, count = query.take()
            if kind != "num":
                raise KqlError(f"{verb} needs a number")
            limit = min(limit, int(count))
        elif verb == "project":
            wanted = [query.name()]
            while query.peek() == ("op", ","):
                query.take(",")
                wanted.append(query.name())
            columns = wanted
        elif verb in ("order", "sort"):
            query.take("by")
            column = query.name()
            descending = True
            if query.peek() in (("word", "asc"), ("word", "desc")):
                descending = query.take()[1] == "desc"
            present = [r for r in chosen if r.get(column) is not None]
            chosen = sorted(present, key=lambda r: str(r[column]), reverse=descending) + \
                [r for r in chosen if r.get(column) is None]
        else:
            raise KqlError(f"unsupported operator {verb!r}")
    chosen = chosen[:limit]
    results = [{column: _json_value(row.get(column)) for column in columns} for row in chosen]
    schema = [{"name": column, "type": _type_of([row.get(column) for row in chosen], column)} for column in columns]
    return schema, results


def _json_value(value: Any) -> Any:
    return to_iso(value) if isinstance(value, datetime) else value
