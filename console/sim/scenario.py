"""Scenarios: a tenant's starting state and what happens to it, in a TOML file under data/scenarios/.

Adding a scenario needs no code. A file has a `[scenario]` table (name, title, category, description,
tenant), arrays of Graph objects (`[[services]]`, `[[issues]]`, `[[messages]]`, `[[alerts]]`, `[[incidents]]`,
`[[riskyUsers]]`, `[[users]]`, `[[signIns]]`, `[[directoryAudits]]`), a timeline of `[[events]]` at T+N
seconds (`add`, `update`, `generate` for bulk volumes), optional `[[faults]]` and `permissions_missing`.
Loading validates everything by playing the whole timeline once, so a mistake is reported with the
file, the line of the table at fault and the reason, before a drill starts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...data import FOLDER
from .faults import Fault
from .objects import COLLECTIONS, parse_offset
from .state import NotFound, TenantState

CATEGORIES = ("service-outage", "security-incident", "data-loss", "business-continuity")
ACTIONS = ("add", "update", "generate")
_EVENT_KEYS = {"at", "action", "collection", "id", "set", "posts", "object", "count", "over", "template",
               "choices", "note"}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the line where known, and why."""


@dataclass
class Event:
    """Something that happens at scenario second `at`."""

    at: float
    action: str
    collection: str
    id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)      # update: what changes; add: the object
    posts: list[Any] = field(default_factory=list)           # update: posts appended to an issue
    count: int = 0                                           # generate: how many objects
    over: float = 0.0                                        # generate: spread over this many seconds
    choices: dict[str, list[Any]] = field(default_factory=dict)
    note: str = ""
    line: int | None = None


@dataclass
class Scenario:
    name: str
    title: str
    category: str
    description: str
    tenant: str
    tenant_id: str
    operator: str
    initial: dict[str, list[dict[str, Any]]]
    events: list[Event]
    faults: list[Fault]
    permissions_missing: list[str]
    source: str
    rate_limits: dict[str, float] = field(default_factory=dict)   # path prefix -> min wall seconds apart
    drill: dict[str, Any] = field(default_factory=dict)           # what a good response does (console/drill.py)

    @property
    def duration(self) -> float:
        """When the last thing happens, generators included."""
        return max([e.at + e.over for e in self.events], default=0.0)


def scenarios_folder() -> Any:
    return FOLDER / "scenarios"


def list_scenarios() -> list[str]:
    return sorted(p.name[:-5] for p in scenarios_folder().iterdir() if p.name.endswith(".toml"))


def _table_lines(text: str) -> dict[tuple[str, int], int]:
    """(array name, index) -> line number of its `[[name]]` header, for error messages."""
    lines: dict[tuple[str, int], int] = {}
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^\s*\[\[\s*([\w.]+)\s*\]\]", line)
        if match:
            name = match[1]
            lines[(name, counts.get(name, 0))] = number
            counts[name] = counts.get(name, 0) + 1
    return lines


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario by name (data/scenarios/NAME.toml) or by path; ScenarioError when it is unusable."""
    text_path = str(name_or_path)
    path = Path(text_path).expanduser()
    if text_path.endswith(".toml") or "/" in text_path or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{path}: no such scenario file")
        source, text = str(path), path.read_text(encoding="utf-8")
    else:
        entry = scenarios_folder() / f"{text_path}.toml"
        if not entry.is_file():
            raise ScenarioError(f"unknown scenario {text_path!r} (known: {', '.join(list_scenarios())})")
        source, text = f"data/scenarios/{text_path}.toml", entry.read_text(encoding="utf-8")
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{source}: not valid TOML: {error}") from None
    lines = _table_lines(text)
    data = _expand_macros(data)

    def fail(reason: str, table: str | None = None, index: int = 0, key: str | None = None) -> ScenarioError:
        line = lines.get((table, index)) if table else None
        if key:
            pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
            line = next((n for n, t in enumerate(text.splitlines(), 1) if pattern.match(t)), line)
        if line is None and table:
            line = next((n for n, t in enumerate(text.splitlines(), 1) if t.strip() == f"[{table}]"), None)
        return ScenarioError(f"{source}:{line}: {reason}" if line else f"{source}: {reason}")

    meta = data.get("scenario")
    if not isinstance(meta, dict):
        raise fail("missing the [scenario] table (name, title, category, description, tenant)")
    meta_keys = {"name", "title", "category", "description", "tenant", "tenant_id", "operator", "permissions_missing",
                 "rate_limits"}
    for key in meta:
        if key not in meta_keys:
            raise fail(f"unknown key {key!r} in [scenario] (known: {', '.join(sorted(meta_keys))})", "scenario",
                       key=key)
    for key in ("name", "title", "category", "description", "tenant"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise fail(f"[scenario] needs a text `{key}`", "scenario")
    if meta["category"] not in CATEGORIES:
        raise fail(f"category {meta['category']!r} is not one of {', '.join(CATEGORIES)}", "scenario",
                   key="category")
    known = {"scenario", "events", "faults", "permissions_missing", "rate_limits", "drill", *COLLECTIONS}
    for key in data:
        if key not in known:
            raise fail(f"unknown top-level key {key!r} (known: {', '.join(sorted(known))})")

    initial: dict[str, list[dict[str, Any]]] = {}
    for name in COLLECTIONS:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise fail(f"`{name}` must be an array of tables ([[{name}]])")
        initial[name] = items

    events = []
    for index, table in enumerate(data.get("events", [])):
        try:
            events.append(parse_event(table, lines.get(("events", index))))
        except (ValueError, TypeError, KeyError) as error:
            raise fail(f"event {index + 1}: {error}", "events", index) from None
    events.sort(key=lambda e: e.at)

    faults = []
    for index, table in enumerate(data.get("faults", [])):
        try:
            faults.append(Fault.from_table(table))
        except (ValueError, TypeError) as error:
            raise fail(f"fault {index + 1}: {error}", "faults", index) from None
    missing = data.get("permissions_missing", meta.get("permissions_missing", []))
    if not isinstance(missing, list) or not all(isinstance(p, str) for p in missing):
        raise fail("permissions_missing must be a list of permission names like 'SecurityAlert.Read.All'")

    limits = data.get("rate_limits", meta.get("rate_limits", {}))
    if not isinstance(limits, dict) or not all(isinstance(v, int | float) and v > 0 for v in limits.values()):
        raise fail("rate_limits must map path prefixes to seconds, like { \"identityProtection/riskyUsers\" = 1 }")
    drill = data.get("drill", {})
    kinds_of = {"contain": list, "restored_issue": str, "eradicate": list, "resolution_notice": bool,
                "verify_recovery": list}
    if not isinstance(drill, dict) or any(k not in kinds_of or not isinstance(v, kinds_of[k])
                                          for k, v in drill.items()):
        raise fail("[drill] takes contain = [UPNs], restored_issue = \"ID\", eradicate = [playbook step ids], "
                   "resolution_notice = true|false, verify_recovery = [services]", "drill")
    tenant = meta["tenant"].strip()
    scenario = Scenario(
        name=meta["name"], title=meta["title"], category=meta["category"], description=meta["description"],
        tenant=tenant, tenant_id=str(meta.get("tenant_id") or _tenant_guid(tenant)),
        operator=str(meta.get("operator") or f"admin@{tenant}"), initial=initial, events=events,
        faults=faults, permissions_missing=missing, source=source,
        rate_limits={k.strip("/"): float(v) for k, v in limits.items()}, drill=dict(drill),
    )
    _rehearse(scenario, fail)
    return scenario


def _expand_macros(value: Any) -> Any:
    """`{ repeat = "ab", times = 5000 }` anywhere stands for the repeated string (long hostile titles)."""
    if isinstance(value, dict):
        if set(value) == {"repeat", "times"} and isinstance(value["repeat"], str) and isinstance(value["times"], int):
            return value["repeat"] * value["times"]
        return {k: _expand_macros(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_macros(v) for v in value]
    return value


def _tenant_guid(domain: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tenant:{domain.lower()}"))


def parse_event(table: dict[str, Any], line: int | None) -> Event:
    unknown = set(table) - _EVENT_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if "at" not in table:
        raise ValueError("needs `at` (seconds after the start, or 'T+10m')")
    at = parse_offset(table["at"])
    if at < 0:
        raise ValueError("`at` must not be before the start")
    action = table.get("action", "update" if "id" in table else "add")
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    collection = table.get("collection")
    if collection not in COLLECTIONS:
        raise ValueError(f"collection {collection!r} is not one of {', '.join(COLLECTIONS)}")
    event = Event(at=at, action=action, collection=collection, note=str(table.get("note", "")), line=line)
    if action == "update":
        if "id" not in table:
            raise ValueError("an update needs the `id` of the object it changes")
        event.id = str(table["id"])
        event.fields = dict(table.get("set", {}))
        event.posts = list(table.get("posts", []))
        if not event.fields and not event.posts:
            raise ValueError("an update needs `set` and/or `posts`")
        if event.posts and collection != "issues":
            raise ValueError("only issues have posts")
    elif action == "add":
        if not isinstance(table.get("object"), dict):
            raise ValueError("an add needs an `object` table")
        event.fields = dict(table["object"])
    else:
        if not isinstance(table.get("template"), dict):
            raise ValueError("a generate needs a `template` table")
        event.fields = dict(table["template"])
        event.count = int(table.get("count", 0))
        if event.count <= 0:
            raise ValueError("a generate needs a positive `count`")
        event.over = parse_offset(table.get("over", 0))
        event.choices = dict(table.get("choices", {}))
        if not all(isinstance(v, list) and v for v in event.choices.values()):
            raise ValueError("`choices` must map names to non-empty lists")
    return event


def _rehearse(scenario: Scenario, fail: Any) -> None:
    """Play the whole timeline once against a scratch state, so errors surface at load time."""
    state = TenantState(scenario, origin=datetime(2026, 1, 1, tzinfo=UTC), rehearsal=True)
    try:
        state.build_initial()
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        collection, index = state.building
        raise fail(f"{collection} #{index + 1}: {_reason(error)}", collection, index) from None
    for event in scenario.events:
        try:
            state.apply(event)
        except NotFound as missing:
            line = f"{scenario.source}:{event.line}" if event.line else scenario.source
            raise ScenarioError(f"{line}: event at T+{event.at:g}s: no {event.collection} object with id "
                                f"{missing.args[0]!r} at that time") from None
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            line = f"{scenario.source}:{event.line}" if event.line else scenario.source
            raise ScenarioError(f"{line}: event at T+{event.at:g}s: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing required field {error.args[0]!r}"
    return str(error) or type(error).__name__
