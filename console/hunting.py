"""Threat hunting: Defender advanced hunting (KQL) through Graph, saved queries as data, every run journaled.

Saved queries live in data/hunting/*.toml (and the user's `hunting.folder`): a name, a description, KQL with
named parameters such as `{upn}` and `{ip}`, and the playbook steps they serve. A parameter is always filled in
as a KQL string literal, quoted here, so a value can never end the literal and add KQL of its own.

Every run is journaled (query, row count, SHA-256 of the result; the entry's actor and time say who and when),
and its result can be attached to an incident as evidence.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..data import FOLDER
from .datafiles import DataFileError
from .graph.errors import GraphError, SignInRequired, failure_fields
from .journal import Draft, Entry, kinds, writable_json

if TYPE_CHECKING:
    from .graph.gateway import GraphResponse

HUNT_PATH = "security/runHuntingQuery"
MAX_QUERY = 30_000                  # characters of KQL we send (Defender's own limit is higher)
MAX_PARAM = 1_000                   # characters in one parameter value
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_KEYS = {"name", "description", "kql", "params", "serves"}


class HuntingError(DataFileError):
    """A saved-query file is malformed."""


class SavedQuery(NamedTuple):
    name: str
    description: str
    kql: str
    params: tuple[str, ...]
    serves: tuple[str, ...]         # playbook step ids this query helps with
    source: str


class HuntResult(NamedTuple):
    """What Graph returned: the schema and rows exactly, plus the request id."""

    schema: list[dict[str, Any]]
    results: list[dict[str, Any]]
    request_id: str | None

    def as_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "results": self.results}

    @property
    def content(self) -> str:
        """The result as evidence holds it: canonical JSON, a lone surrogate in a row as its escape."""
        return writable_json(self.as_json())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


class Sender(Protocol):
    """The part of the gateway a hunt needs (GraphGateway)."""

    async def send(self, method: str, path: str, body: Any | None = None) -> GraphResponse: ...


class Recorder(Protocol):
    """Where a hunt is journaled (the Journal)."""

    async def append_many(self, drafts: Iterable[Draft]) -> Sequence[Entry]: ...


def quote_kql(value: str) -> str:
    """A KQL string literal holding exactly `value`; control and invisible characters are refused, not escaped."""
    if not isinstance(value, str):
        raise ValueError("a hunting parameter is text")
    if len(value) > MAX_PARAM:
        raise ValueError(f"a hunting parameter is at most {MAX_PARAM} characters")
    bad = _CONTROL.search(value)
    if bad:
        raise ValueError(f"a hunting parameter may not hold control or invisible characters (U+{ord(bad[0]):04X})")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fill(query: SavedQuery, values: dict[str, str]) -> str:
    """The saved query's KQL with each `{name}` replaced by the quoted value; every parameter must be given."""
    missing = [name for name in query.params if name not in values]
    if missing:
        raise ValueError(f"{query.name} needs --param {'=… --param '.join(missing)}=…")
    unknown = sorted(set(values) - set(query.params))
    if unknown:
        takes = ", ".join(query.params) or "none"
        raise ValueError(f"{query.name} has no parameter {unknown[0]!r} (it takes: {takes})")
    quoted = {name: quote_kql(value) for name, value in values.items()}
    return _PARAM.sub(lambda m: quoted[m[1]] if m[1] in quoted else m[0], query.kql).strip()


def parse_params(pairs: Iterable[str]) -> dict[str, str]:
    """`--param k=v` pairs as a dict (the value may hold '=')."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param takes name=value, not {pair[:40]!r}")
        values[name.strip()] = value
    return values


# -- saved queries ---------------------------------------------------------------------------------------


def _line_of(text: str, index: int) -> int | None:
    seen = -1
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^\s*\[\[\s*queries\s*\]\]", line):
            seen += 1
            if seen == index:
                return number
    return None


def parse_queries(text: str, source: str) -> list[SavedQuery]:
    """The `[[queries]]` of one file; HuntingError with the file, line and reason for any mistake."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HuntingError(source, getattr(error, "lineno", None), f"not valid TOML: {error}") from None
    unknown = set(data) - {"queries"}
    if unknown:
        raise HuntingError(source, None, f"unknown top-level key {sorted(unknown)[0]!r} (a file holds [[queries]])")
    tables = data.get("queries", [])
    if not isinstance(tables, list) or not tables:
        raise HuntingError(source, None, "no [[queries]]")
    out = []
    for index, table in enumerate(tables):
        line = _line_of(text, index)

        def bad(reason: str, line: int | None = line) -> HuntingError:
            return HuntingError(source, line, reason)

        extra = set(table) - _KEYS
        if extra:
            raise bad(f"unknown key {sorted(extra)[0]!r} (known: {', '.join(sorted(_KEYS))})")
        name, kql = table.get("name"), table.get("kql")
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad("`name` must be lower-case letters, digits and dashes, like sign-ins-from-ip")
        if not isinstance(kql, str) or not kql.strip() or len(kql) > MAX_QUERY:
            raise bad(f"{name}: `kql` must be the query text (at most {MAX_QUERY} characters)")
        params = table.get("params", [])
        if not isinstance(params, list) or not all(isinstance(p, str) and p.isidentifier() for p in params):
            raise bad(f"{name}: `params` must be a list of names like [\"upn\", \"ip\"]")
        used = set(_PARAM.findall(kql))
        if used != set(params):
            raise bad(f"{name}: the KQL uses {{{'}, {'.join(sorted(used)) or 'nothing'}}} but params lists "
                      f"{', '.join(params) or 'nothing'}: they must match")
        serves = table.get("serves", [])
        if not isinstance(serves, list) or not all(isinstance(s, str) for s in serves):
            raise bad(f"{name}: `serves` must be a list of playbook step ids")
        description = table.get("description", "")
        if not isinstance(description, str):
            raise bad(f"{name}: `description` must be text")
        out.append(SavedQuery(name, description.strip(), kql.strip(), tuple(params), tuple(serves), source))
    return out


@dataclass
class QueryLibrary:
    queries: dict[str, SavedQuery]

    @classmethod
    def load(cls, user_folder: str | Path | None = None) -> QueryLibrary:
        """The built-in queries, then the user's folder (same name replaces)."""
        queries: dict[str, SavedQuery] = {}
        folders = [(FOLDER / "hunting", "data/hunting/")]
        if user_folder:
            folders.append((Path(user_folder).expanduser(), ""))
        for folder, prefix in folders:
            if not folder.is_dir():
                continue
            for file in sorted(folder.glob("*.toml")):
                source = f"{prefix}{file.name}" if prefix else str(file)
                for query in parse_queries(file.read_text(encoding="utf-8"), source):
                    queries[query.name] = query
        return cls(queries)

    def get(self, name: str) -> SavedQuery:
        if name not in self.queries:
            raise ValueError(f"no saved query {name!r} (known: {', '.join(sorted(self.queries))})")
        return self.queries[name]


# -- running ---------------------------------------------------------------------------------------------


async def run_hunt(gateway: Sender, kql: str) -> HuntResult:
    """POST security/runHuntingQuery once (a read, but a POST: the gateway never retries it)."""
    if not kql.strip():
        raise ValueError("give a KQL query")
    if len(kql) > MAX_QUERY:
        raise ValueError(f"the query is longer than {MAX_QUERY} characters")
    response = await gateway.send("POST", HUNT_PATH, {"Query": kql})
    body = response.json if isinstance(response.json, dict) else {}
    schema = [s for s in body.get("schema") or [] if isinstance(s, dict)]
    results = [r for r in body.get("results") or [] if isinstance(r, dict)]
    return HuntResult(schema, results, response.request_id)


def hunt_body(kql: str, result: HuntResult | None, *, saved: str | None = None,
              params: dict[str, str] | None = None, error: Exception | None = None) -> dict[str, Any]:
    """The journal entry for one run (its actor and time are who ran it and when)."""
    body: dict[str, Any] = {"query": kql}
    if saved:
        body["saved"] = saved
    if params:
        body["params"] = dict(params)
    if result is not None:
        body.update(rows=len(result.results), sha256=result.sha256, request_id=result.request_id)
    if error is not None:
        reason = error.reason if isinstance(error, GraphError) else str(error)
        body.update(error=reason or str(error), **failure_fields(error))
    return body


async def hunt(gateway: Sender, journal: Recorder, kql: str, *, saved: str | None = None,
               params: dict[str, str] | None = None, incident: str | None = None,
               attach: bool = False) -> tuple[HuntResult, list[Any]]:
    """Run a query and journal it (a failed run too, then re-raise); `attach` adds the result as evidence."""
    try:
        result = await run_hunt(gateway, kql)
    except (GraphError, SignInRequired) as error:
        await journal.append_many([Draft(kinds.HUNT, hunt_body(kql, None, saved=saved, params=params, error=error),
                                         incident)])
        raise
    drafts = [Draft(kinds.HUNT, hunt_body(kql, result, saved=saved, params=params), incident)]
    if attach:
        if incident is None:
            raise ValueError("attaching a hunt as evidence needs an incident")
        drafts.append(Draft(kinds.EVIDENCE, {
            "what": f"hunting: {saved or 'ad hoc query'}", "target": kql, "sha256": result.sha256,
            "content": result.content, "source": f"POST {HUNT_PATH}"}, incident))
    entries = await journal.append_many(drafts)
    return result, list(entries)
