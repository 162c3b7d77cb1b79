"""Playbooks: the seeds' procedures as TOML files under data/playbooks/ (and the user's playbook folder).

The code knows how to run a playbook, not what is in one: a category playbook lists the steps for one kind of
emergency; a service playbook adds considerations and recovery options whenever its service is affected.
Files are validated on load; a mistake is reported with the file, the line and the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..data import FOLDER
from .datafiles import DataFileError, load_each, toml_files
from .incidents import CATEGORIES, ROLE_NAMES, Incident
from .journal import Draft, kinds

if TYPE_CHECKING:  # the live picture is optional: without a tenant a live check is "unknown"
    from .graph.live import LiveState

KINDS = ("category", "service")
# What a step may ask the console to do for the responder (the Contain screen runs them).
ACTIONS = ("block_sign_in", "revoke_sessions", "confirm_compromised", "preserve_evidence", "enhanced_monitoring",
           "delete_inbox_rule", "delete_auth_method", "revoke_consent", "reset_password", "restore_deleted",
           "update_alert", "update_incident", "comment_incident")
# Live checks: whether a step is done can be read from the tenant.
CHECK_TYPES = ("service_restored", "user_blocked", "alerts_resolved")
# Live checks a recovery option may name: run through Graph from the Recovery screen (console/recovery.py).
RECOVERY_CHECKS = ("service_restored", "deleted_restored", "sign_ins_succeeding")

_PLAYBOOK_KEYS = {"id", "kind", "category", "title", "summary", "covers", "service", "aliases"}
_STEP_KEYS = {"id", "phase", "text", "role", "check", "action", "categories", "after", "milestone", "done_by"}
# What a step's `done_by` may name: the entries that can do a task (console/incidents.TICKING_KINDS).
DONE_BY_KINDS = (kinds.ACTION, kinds.COMMS_SENT, kinds.EVIDENCE)
_RECOVERY_KEYS = {"id", "text", "verify", "categories", "role", "check", "needs"}


class PlaybookError(DataFileError):
    """A playbook (or checklist) file is malformed."""


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    role: str
    phase: str = ""
    check: dict[str, Any] | None = None
    action: str | None = None
    categories: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    milestone: str = ""
    done_by: dict[str, Any] | None = None

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


@dataclass(frozen=True)
class RecoveryOption:
    """One way to get service or data back, with how to verify it worked.

    `check` is a live check Graph can answer ({type: one of RECOVERY_CHECKS, …}); `needs` names the services the
    option depends on: while one of them is down the option is not offered (no Outlook on the web while
    Entra sign-ins fail)."""

    id: str
    text: str
    verify: str
    role: str = "service_owner"
    categories: tuple[str, ...] = ()
    check: dict[str, Any] | None = None
    needs: tuple[str, ...] = ()

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


@dataclass(frozen=True)
class Playbook:
    id: str
    kind: str
    title: str
    source: str
    category: str = ""
    service: str = ""
    summary: str = ""
    covers: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    recovery: tuple[RecoveryOption, ...] = ()

    def names(self) -> set[str]:
        return {n.casefold() for n in (self.service, *self.aliases) if n}


# -- loading and validation ---------------------------------------------------------------------------


class _Locator:
    """Finds the line of a key in the TOML text, so errors can point at it (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, table: str, index: int | None = None) -> int | None:
        pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]" if index is not None else rf"^\s*\[\s*{table}\s*\]")
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                seen += 1
                if index is None or seen == index:
                    return number
        return None

    def key(self, table: str, index: int | None, key: str) -> int | None:
        start = self.header(table, index)
        if start is None:
            return None
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if re.match(r"^\s*\[", line):
                break
            if re.match(rf"^\s*{re.escape(key)}\s*=", line):
                return number
        return start


_Item = TypeVar("_Item", "Step", "RecoveryOption")


class _Invalid(ValueError):
    """A bad value inside one table; `key` lets the error point at its line."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.key = key


def _strings(value: Any, what: str, key: str | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{what} must be a list of strings", key)
    return tuple(value)


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{where}: {key} must be a non-empty string", key)
    return value.strip()


def _categories(table: dict[str, Any], where: str) -> tuple[str, ...]:
    cats = _strings(table.get("categories", []), f"{where}: categories", "categories")
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown:
        raise _Invalid(f"{where}: unknown category {unknown[0]!r} (known: {', '.join(CATEGORIES)})", "categories")
    return cats


def _parse_step(table: dict[str, Any], where: str) -> Step:
    unknown = set(table) - _STEP_KEYS
    if unknown:
        raise _Invalid(f"{where}: unknown key {sorted(unknown)[0]!r}", sorted(unknown)[0])
    role = _text(table, "role", where)
    if role not in ROLE_NAMES:
        raise _Invalid(f"{where}: unknown role {role!r} (known: {', '.join(ROLE_NAMES)})", "role")
    check = table.get("check")
    if check is not None:
        if not isinstance(check, dict) or check.get("type") not in CHECK_TYPES:
            raise _Invalid(f"{where}: check must be a table with type one of {', '.join(CHECK_TYPES)}", "check")
    action = table.get("action")
    if action is not None and action not in ACTIONS:
        raise _Invalid(f"{where}: unknown action {action!r} (known: {', '.join(ACTIONS)})", "action")
    done_by = table.get("done_by")
    if done_by is not None:
        if not isinstance(done_by, dict) or done_by.get("kind") not in DONE_BY_KINDS:
            raise _Invalid(f"{where}: done_by must be a table with kind one of {', '.join(DONE_BY_KINDS)}",
                           "done_by")
        if not all(isinstance(v, str) for v in done_by.values()):
            raise _Invalid(f"{where}: done_by values must be strings", "done_by")
    milestone = table.get("milestone", "")
    if not isinstance(milestone, str):
        raise _Invalid(f"{where}: milestone must be a string (the milestone's name)", "milestone")
    return Step(
        id=_text(table, "id", where), text=_text(table, "text", where), role=role,
        phase=_text(table, "phase", where, required=False), check=dict(check) if check else None,
        action=action, categories=_categories(table, where),
        after=_strings(table.get("after", []), f"{where}: after", "after"), milestone=milestone.strip(),
        done_by=dict(done_by) if done_by else None,
    )


def _parse_recovery(table: dict[str, Any], where: str) -> RecoveryOption:
    unknown = set(table) - _RECOVERY_KEYS
    if unknown:
        raise _Invalid(f"{where}: unknown key {sorted(unknown)[0]!r}", sorted(unknown)[0])
    role = table.get("role", "service_owner")
    if role not in ROLE_NAMES:
        raise _Invalid(f"{where}: unknown role {role!r}", "role")
    check = table.get("check")
    if check is not None:
        if not isinstance(check, dict) or check.get("type") not in RECOVERY_CHECKS:
            raise _Invalid(f"{where}: check must be a table with type one of {', '.join(RECOVERY_CHECKS)}", "check")
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in check.values()):
            raise _Invalid(f"{where}: check values must be strings or whole numbers", "check")
    needs = _strings(table.get("needs", []), f"{where}: needs (the services it depends on)", "needs")
    if any(not name.strip() for name in needs):
        raise _Invalid(f"{where}: needs must name services, not empty strings", "needs")
    return RecoveryOption(
        id=_text(table, "id", where), text=_text(table, "text", where), verify=_text(table, "verify", where),
        role=role, categories=_categories(table, where), check=dict(check) if check else None,
        needs=tuple(name.strip() for name in needs),
    )


def parse_playbook(text: str, source: str) -> Playbook:
    """Parse and validate one playbook file's text; raises PlaybookError(file, line, reason)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+)", str(error))
        line = int(found[1]) if found else None
        reason = str(error).split(" (at ")[0]
        raise PlaybookError(source, line, f"invalid TOML: {reason}") from None
    where = _Locator(text)
    head = data.get("playbook")
    if not isinstance(head, dict):
        raise PlaybookError(source, None, "missing the [playbook] table (id, kind, title)")

    def fail(table: str, index: int | None, key: str | None, reason: str) -> PlaybookError:
        line = where.key(table, index, key) if key else where.header(table, index)
        return PlaybookError(source, line, reason)

    unknown = set(head) - _PLAYBOOK_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise fail("playbook", None, key, f"unknown key {key!r} in [playbook]")
    kind = head.get("kind", "category")
    if kind not in KINDS:
        raise fail("playbook", None, "kind", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    for key in ("id", "title"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise fail("playbook", None, key, f"[playbook] {key} must be a non-empty string")
    category = head.get("category", "")
    if kind == "category" and category not in CATEGORIES:
        raise fail("playbook", None, "category", f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    if kind == "service" and not (isinstance(head.get("service"), str) and head["service"].strip()):
        raise fail("playbook", None, "service", "a service playbook needs service = \"<name as Microsoft shows it>\"")

    seen: set[str] = set()

    def read(name: str, parse: Callable[[dict[str, Any], str], _Item]) -> list[_Item]:
        out: list[_Item] = []
        items = data.get(name, [])
        if not isinstance(items, list):
            raise fail(name, None, None, f"{name} must be an array of tables: [[{name}]]")
        for index, table in enumerate(items):
            label = f"[[{name}]] #{index + 1}"
            if not isinstance(table, dict):
                raise fail(name, None, None, f"{name} must be an array of tables: [[{name}]]")
            try:
                item = parse(table, label)
            except _Invalid as error:
                raise fail(name, index, error.key, str(error)) from None
            if item.id in seen:
                raise fail(name, index, "id", f"{label}: duplicate id {item.id!r}")
            seen.add(item.id)
            out.append(item)
        return out

    steps, recovery = read("steps", _parse_step), read("recovery", _parse_recovery)
    _check_dependencies(steps, fail)
    extra = set(data) - {"playbook", "steps", "recovery"}
    if extra:
        table = sorted(extra)[0]
        raise PlaybookError(source, where.header(table) or where.header(table, 0), f"unknown table [{table}]")
    if kind == "category" and not steps:
        raise PlaybookError(source, None, "a category playbook needs at least one [[steps]]")
    return Playbook(
        id=head["id"].strip(), kind=kind, title=head["title"].strip(), source=source, category=category,
        service=str(head.get("service", "")).strip(), summary=str(head.get("summary", "")),
        covers=_strings(head.get("covers", []), "covers"), aliases=_strings(head.get("aliases", []), "aliases"),
        steps=tuple(steps), recovery=tuple(recovery),
    )


def _check_dependencies(steps: list[Step], fail: Any) -> None:
    """Every `after` names a step of this playbook, and no step waits on itself, directly or around a loop."""
    index = {step.id: number for number, step in enumerate(steps)}
    for number, step in enumerate(steps):
        for other in step.after:
            if other not in index:
                raise fail("steps", number, "after", f"[[steps]] #{number + 1}: after names {other!r}, "
                                                     "which is no step of this playbook")
    state: dict[str, int] = {}      # 1 visiting, 2 done

    def visit(step_id: str, trail: list[str]) -> None:
        if state.get(step_id) == 2:
            return
        if state.get(step_id) == 1:
            loop = [*trail[trail.index(step_id):], step_id]
            raise fail("steps", index[step_id], "after", f"steps wait on each other in a loop: {' → '.join(loop)}")
        state[step_id] = 1
        for other in steps[index[step_id]].after:
            visit(other, [*trail, step_id])
        state[step_id] = 2

    for step in steps:
        visit(step.id, [])


@dataclass
class PlaybookLibrary:
    """Every playbook the console knows: the built-in ones, overridden by id from the user's folder.

    A file that cannot be read or is invalid is skipped and listed in `skipped`; the rest is still used.
    """

    playbooks: dict[str, Playbook] = field(default_factory=dict)
    skipped: list[DataFileError] = field(default_factory=list)

    @classmethod
    def load(cls, user_folder: str | Path | None = None) -> PlaybookLibrary:
        library = cls()
        folders: list[Path] = [FOLDER / "playbooks"]
        if user_folder:
            folders.append(Path(user_folder).expanduser())
        files: list[tuple[Path, str]] = []
        for folder in folders:
            found, problems = toml_files(folder)
            files += [(file, str(file)) for file in found]
            library.skipped += problems
        playbooks, skipped = load_each(files, parse_playbook)
        library.skipped += skipped
        for playbook in playbooks:
            library.playbooks[playbook.id] = playbook
        return library

    def for_category(self, category: str) -> Playbook | None:
        return next((p for p in self.playbooks.values() if p.kind == "category" and p.category == category), None)

    def for_service(self, service: str) -> Playbook | None:
        wanted = service.casefold()
        return next((p for p in self.playbooks.values() if p.kind == "service" and wanted in p.names()), None)

    def services(self) -> list[str]:
        return [p.service for p in self.playbooks.values() if p.kind == "service"]

    def task_bodies(self, category: str, services: Iterable[str], *, first_number: int = 1) -> list[dict[str, Any]]:
        """The task.added bodies for a new incident: its category's steps, then each affected service's.

        A service named twice (SharePoint Online and its alias OneDrive) adds its steps once: a step is keyed by
        its playbook and id. A step's `after` becomes the ids of the tasks it waits for.
        """
        bodies: list[dict[str, Any]] = []
        task_of: dict[tuple[str, str], str] = {}
        waits: list[tuple[dict[str, Any], str, tuple[str, ...]]] = []

        def add(playbook: str, step_id: str, text: str, role: str, **extra: Any) -> None:
            if (playbook, step_id) in task_of:
                return
            task_id = f"T{first_number + len(bodies)}"
            task_of[(playbook, step_id)] = task_id
            body: dict[str, Any] = {"task_id": task_id, "text": text, "role": role, "playbook": playbook,
                                    "step": step_id}
            body.update({key: value for key, value in extra.items() if value})
            bodies.append(body)

        def add_step(playbook: Playbook, step: Step, check: dict[str, Any] | None) -> None:
            if (playbook.id, step.id) in task_of:
                return
            add(playbook.id, step.id, step.text, step.role, check=check, action=step.action,
                milestone=step.milestone, done_by=step.done_by)
            if step.after:
                waits.append((bodies[-1], playbook.id, step.after))

        main = self.for_category(category)
        if main:
            for step in main.steps:
                add_step(main, step, step.check)
        for service in services:
            extra = self.for_service(service)
            if extra is None:
                continue
            for step in extra.steps:
                if step.applies_to(category):
                    add_step(extra, step, {**step.check, "service": extra.service} if step.check else None)
            for option in extra.recovery:
                if option.applies_to(category):
                    add(extra.id, f"recovery:{option.id}",
                        f"{extra.service} recovery: {option.text}. Verify: {option.verify}", option.role)
        for body, playbook_id, after in waits:     # a step not added (another category's) is not waited for
            waited = [task_of[(playbook_id, other)] for other in after if (playbook_id, other) in task_of]
            if waited:
                body["after"] = waited
        return bodies

    def task_drafts(self, incident_id: str, category: str, services: Iterable[str],
                    *, first_number: int = 1) -> list[Draft]:
        return [Draft(kinds.TASK_ADDED, body, incident_id)
                for body in self.task_bodies(category, services, first_number=first_number)]


# -- live checks ----------------------------------------------------------------------------------------


def check_state(check: dict[str, Any] | None, incident: Incident, live: LiveState | None) -> str | None:
    """'met', 'not met' or 'unknown' for a step's live check against the tenant; None when it has none."""
    if not check:
        return None
    if live is None:
        return "unknown"
    kind = check.get("type")
    if kind == "service_restored":
        wanted = {s.casefold() for s in ([check["service"]] if check.get("service") else incident.services)}
        states = [h for h in live.health.values() if h.service.casefold() in wanted]
        if not states:
            return "unknown"
        return "met" if all(h.operational for h in states) else "not met"
    if kind == "alerts_resolved":
        linked = {link.get("id") for link in incident.links if link.get("type") == "alert"}
        alerts = [a for key, a in live.alerts.items() if key in linked]
        if not alerts:
            return "unknown"
        return "met" if all(a.status == "resolved" for a in alerts) else "not met"
    if kind == "user_blocked":
        blocked = incident.details.get("blocked_users")
        return "met" if blocked else "not met"
    return "unknown"


# -- declaring ----------------------------------------------------------------------------------------------


def declaration(
    incident_id: str,
    *,
    title: str,
    category: str,
    services: list[str],
    roles: dict[str, str],
    library: PlaybookLibrary,
    source: dict[str, Any] | None = None,
) -> list[Draft]:
    """Everything a declaration journals, in one transaction: the incident, each role, the links, the tasks.

    `source` is {type: alert|service_issue, id, title?, started?}: linking a Microsoft service issue answers
    "is it us or Microsoft?" for everyone reading the timeline. A Microsoft support case number (a role in
    ROLE_NAMES) is linked too.
    """
    title = title.strip()
    if not title:
        raise ValueError("give the incident a title")
    if category not in CATEGORIES:
        raise ValueError(f"choose a category: {', '.join(CATEGORIES)}")
    if not (roles.get("incident_commander") or "").strip():
        raise ValueError("name the incident commander")
    roles = {role: person.strip() for role, person in roles.items() if person and person.strip()}
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}")
    playbook = library.for_category(category)
    body: dict[str, Any] = {"title": title, "category": category, "services": list(services),
                            "playbook": playbook.id if playbook else None, "roles": roles}
    if source:
        body["source"] = source
    drafts = [Draft(kinds.INCIDENT_DECLARED, body, incident_id)]
    drafts += [Draft(kinds.INCIDENT_ROLE, {"role": role, "person": person}, incident_id)
               for role, person in roles.items()]
    if source and source.get("id"):
        link = {"type": source.get("type"), "id": source["id"]}
        if source.get("title"):
            link["title"] = source["title"]
        drafts.append(Draft(kinds.INCIDENT_LINKED, link, incident_id))
    support_case = roles.get("microsoft_support_case")
    if support_case:
        drafts.append(Draft(kinds.INCIDENT_LINKED, {"type": "support_case", "id": support_case,
                                                   "title": "Microsoft support case"}, incident_id))
    drafts += library.task_drafts(incident_id, category, services)
    return drafts


def handoff(incident: Incident, role: str, person: str) -> dict[str, Any] | None:
    """The incident.role body for a hand-off (with who had it before); None when nothing changes."""
    if role not in ROLE_NAMES:
        raise ValueError(f"unknown role {role!r}")
    person = person.strip()
    previous = incident.roles.get(role, "")
    if person == previous:
        return None
    body: dict[str, Any] = {"role": role, "person": person}
    if previous:
        body["previous"] = previous
    return body
