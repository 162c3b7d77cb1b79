"""Configuration: built-in defaults, then the TOML file, then environment variables, then flags.

Every value remembers where it came from, so `warroom config` can answer "why is it set to that?".
Keys are declared once in SETTINGS; an unknown key in a file is an error naming the file, line and key.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from .journal.base import is_shared
from .text import is_plain

if TYPE_CHECKING:
    from .channels import Routing

APP_NAME = "warroom"


class ConfigError(Exception):
    """One line, naming the file and, where known, the line and key."""


Check = Callable[[Any], "str | None"]


def _between(low: int, high: int, unit: str) -> Check:
    """An integer the console can schedule with: a huge one overflows a datetime, zero or less spins."""
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"must be between {low} and {high} {unit}"
    return check


def _text(*, limit: int = 200, empty: bool = False) -> Check:
    """A name, id or path as typed: no control, escape or format characters, bounded length."""
    def check(value: str) -> str | None:
        if not value.strip() and not empty:
            return "must not be empty"
        if not is_plain(value):
            return "must not contain control, escape or invisible characters"
        return f"must be at most {limit} characters" if len(value) > limit else None
    return check


def _zone(value: str) -> str | None:
    """UTC, local, or a zone in this host's zoneinfo (only a named zone loads zoneinfo)."""
    if not is_plain(value):
        return "must be UTC, local or an IANA time zone name"
    from .timefmt import display_zone

    try:
        display_zone(value)
    except (LookupError, ValueError, OSError):
        return "must be UTC, local or a time zone this host knows (e.g. Europe/Paris)"
    return None


_TENANT = re.compile(r"[0-9A-Za-z.-]{1,100}")      # a GUID or a domain, as azure-identity accepts


def _tenant(value: str) -> str | None:
    return None if _TENANT.fullmatch(value) else "must be a tenant id (GUID) or a domain like contoso.com"


def _graph_url(value: str) -> str | None:
    if not is_plain(value) or len(value) > 2000:
        return "must be an http(s) URL"
    from .clouds import resolve

    try:
        resolve("global", value)
    except ValueError:
        return "must be an https URL (plain http only for 127.0.0.1 or localhost)"
    return None


def _contacts(value: dict[str, Any]) -> str | None:
    for name, who in value.items():
        if isinstance(who, str):
            who = [who]
        if not isinstance(who, list) or not all(isinstance(w, str) and is_plain(w) for w in who):
            return f"{name} must be an address or a list of addresses"
    return None


def _names(value: list[Any]) -> str | None:
    if not all(isinstance(item, str) and is_plain(item) and item.strip() for item in value):
        return "must be a list of names"
    return None


_POLL = _between(5, 86_400, "seconds")
_CADENCE = _between(1, 10_080, "minutes")
_TARGET = _between(1, 1_440, "minutes")
_RETRIES = _between(1, 10, "tries")
_BACKOFF = _between(0, 60, "seconds")


@dataclass(frozen=True)
class Setting:
    default: Any
    kind: type | tuple[type, ...]
    help: str
    env: str | None = None
    choices: tuple[str, ...] | None = None
    check: Check | None = None      # what is wrong with a well-typed value (a range, a zone), or None


def _default_responder() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "responder"


def default_journal_path() -> str:
    return str(Path(platformdirs.user_data_dir(APP_NAME)) / "journal.db")


def default_demo_journal_path() -> str:
    """Where `warroom demo` journals: simulated data stays out of every real journal."""
    return str(Path(platformdirs.user_data_dir(APP_NAME)) / "demo-journal.db")


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


# Dotted keys: "graph.cloud" is `[graph] cloud = ...` in the file. Later work adds its keys here.
SETTINGS: dict[str, Setting] = {
    "responder": Setting(
        None, str, "your name as it appears in the journal (default: the OS user)", "WARROOM_RESPONDER",
        check=_text(limit=100)
    ),
    "journal": Setting(None, str, "the journal: an SQLite file (default: the user data folder), or a postgresql:// "
                       "URL (no password in it) for a journal shared between hosts", "WARROOM_JOURNAL",
                       check=_text(limit=4096)),
    "shared.local_copy": Setting(None, str, "folder for this host's copy and spool of a shared journal "
                                 "(default: the user data folder)", "WARROOM_SHARED_LOCAL_COPY",
                                 check=_text(limit=4096)),
    "timezone": Setting("UTC", str, "zone for displayed times: UTC, local, or an IANA name", "WARROOM_TIMEZONE",
                        check=_zone),
    "read_only": Setting(False, bool, "never execute containment actions from this console", "WARROOM_READ_ONLY"),
    "graph.cloud": Setting(
        "global", str, "Microsoft cloud", "WARROOM_CLOUD", ("global", "usgov", "usgov-dod", "china")
    ),
    "graph.url": Setting(
        None, str, "any Graph-compatible endpoint: the simulated tenant, a proxy", "WARROOM_GRAPH_URL",
        check=_graph_url,
    ),
    "graph.tenant_id": Setting(None, str, "Entra tenant id or domain", "AZURE_TENANT_ID", check=_tenant),
    "graph.client_id": Setting(None, str, "app registration (client) id", "AZURE_CLIENT_ID",
                                  check=_text(limit=100)),
    "graph.credential": Setting(
        "auto",
        str,
        "how to sign in",
        "WARROOM_CREDENTIAL",
        ("auto", "environment", "azure-cli", "managed-identity", "device-code", "token"),
    ),
    "graph.allow_unencrypted_token_cache": Setting(
        False, bool, "keep the token cache in a 0600 file when no keyring exists (SSH hosts)"
    ),
    "graph.poll.health": Setting(60, int, "seconds between service health polls", check=_POLL),
    "graph.poll.issues": Setting(60, int, "seconds between service issue polls", check=_POLL),
    "graph.poll.messages": Setting(900, int, "seconds between message center polls", check=_POLL),
    "graph.poll.alerts": Setting(30, int, "seconds between Defender alert polls", check=_POLL),
    "graph.poll.watched_alerts": Setting(10, int, "seconds between Defender alert polls while watching users or IPs",
                                         check=_POLL),
    "graph.poll.incidents": Setting(60, int, "seconds between Defender incident polls", check=_POLL),
    "graph.poll.risky_users": Setting(120, int, "seconds between risky user polls", check=_POLL),
    "ui.theme": Setting("dark", str, "colour theme", "WARROOM_THEME", ("dark", "light", "ansi")),
    "ui.animations": Setting(
        "none", str, "animated scrolling (off: over SSH every animated frame is more output)", "WARROOM_ANIMATIONS",
        ("none", "basic", "full"),
    ),
    "ui.bell": Setting(False, bool, "ring the terminal bell on a new high-severity alert"),
    "ui.keys": Setting(
        {}, dict, "remap keys by action id, e.g. [ui.keys] \"dashboard.note\" = \"N\" (the ids: docs/keys.md)"
    ),
    # Guided response (playbooks, containment, communications, drills).
    "dry_run": Setting(False, bool, "preview and journal containment actions without sending them", "WARROOM_DRY_RUN"),
    "playbooks.folder": Setting(None, str, "your own playbooks (*.toml; same id replaces a built-in one)",
                                 check=_text(limit=4096)),
    "hunting.folder": Setting(None, str, "your own saved hunting queries (*.toml; same name replaces a built-in one)",
                               check=_text(limit=4096)),
    "updates.sev1_minutes": Setting(30, int, "minutes between stakeholder updates for a SEV1", check=_CADENCE),
    "updates.sev2_minutes": Setting(60, int, "minutes between stakeholder updates for a SEV2", check=_CADENCE),
    "updates.sev3_minutes": Setting(240, int, "minutes between stakeholder updates for a SEV3", check=_CADENCE),
    "updates.sev4_minutes": Setting(1440, int, "minutes between stakeholder updates for a SEV4", check=_CADENCE),
    "comms.templates": Setting(None, str, "your own message templates (*.toml; same id replaces a built-in one)",
                                check=_text(limit=4096)),
    "comms.folder": Setting(None, str, "where saved messages are written (default: the user data folder)",
                             check=_text(limit=4096)),
    "comms.contacts": Setting({}, dict, "recipients: stakeholders, technical, users, management, reply_to",
                                 check=_contacts),
    "comms.escalation": Setting([], list, "escalation path, in order: [\"duty manager\", \"CIO\", …]",
                                  check=_names),
    "comms.retry_attempts": Setting(3, int, "tries per channel for a transient failure (the first included)",
                                    check=_RETRIES),
    "comms.retry_backoff_seconds": Setting(2.0, (int, float), "seconds before a channel's second try; doubled "
                                           "after each (a Retry-After from the channel wins)", check=_BACKOFF),
    "channels": Setting({}, dict, "where notifications go: [channels.NAME] kind = smtp | webhook | graph | "
                        "statuspage (secrets from the environment: password_env, url_env)"),
    "audiences": Setting({}, dict, "who gets what: [audiences.stakeholders|technical|users|management] "
                         "to = [addresses], channels = [channel names]"),
    "drill.target_declare_minutes": Setting(10, int, "drill target: minutes from the first signal to declaring",
                                            check=_TARGET),
    "drill.target_assess_minutes": Setting(15, int, "drill target: minutes from declaring to a severity",
                                            check=_TARGET),
    "drill.target_contain_minutes": Setting(30, int, "drill target: minutes from declaring to containment",
                                            check=_TARGET),
    "drill.target_notify_minutes": Setting(20, int, "drill target: minutes from declaring to the first notification",
                                            check=_TARGET),
}


@dataclass
class Config:
    values: dict[str, Any]
    origins: dict[str, str]
    file: Path | None
    routing_resolved: Routing | None = field(default=None, repr=False)

    @property
    def routing(self) -> Routing:
        """The notification channels and audiences, with their secrets read from the environment at load."""
        if self.routing_resolved is None:
            from .channels import Routing

            return Routing({}, {})
        return self.routing_resolved

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def responder(self) -> str:
        return self.values["responder"]

    @property
    def journal_location(self) -> str | Path:
        """What `open_journal` takes: the file, or the shared journal's URL."""
        location = str(self.values["journal"])
        return location if is_shared(location) else Path(location).expanduser()

    def with_journal(self, location: str) -> Config:
        """This configuration pointed at another journal (a file or a URL named on the command line)."""
        return self.with_value("journal", location, "command line")

    def with_value(self, key: str, value: Any, origin: str) -> Config:
        """A copy with one value changed; everything else, the notification routing included, kept."""
        return Config({**self.values, key: value}, {**self.origins, key: origin}, self.file, self.routing_resolved)

    @property
    def journal_path(self) -> Path:
        """The journal as a file, for offline reading (review, report, export): a shared journal's local copy."""
        location = self.journal_location
        if isinstance(location, Path):
            return location
        from .journal import JournalError
        from .journal.shared import COPY, local_copy, url_folder

        try:
            return local_copy(location, self.get("shared.local_copy"))
        except JournalError:        # never reached from this host: no copy (a path that does not exist)
            return url_folder(location, self.get("shared.local_copy")) / COPY

    def section(self, prefix: str) -> dict[str, Any]:
        """All keys under `prefix.` without the prefix: `cfg.section("updates")`."""
        cut = len(prefix) + 1
        return {key[cut:]: value for key, value in self.values.items() if key.startswith(prefix + ".")}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"graph": {"cloud": "usgov"}}` -> `{"graph.cloud": "usgov"}`; a table that is itself a setting stays whole."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and dotted not in SETTINGS:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


_TABLE = re.compile(r"\s*\[\s*([^\]\[]+?)\s*\]")
_ASSIGNMENT = re.compile(r"\s*([A-Za-z0-9_.\-\" ]+?)\s*=")


def _line_of(text: str, key: str) -> int | None:
    """The line that sets `key`, following `[table]` headers; a key of that name anywhere is the fallback."""
    leaf, table, fallback = key.rsplit(".", 1)[-1], "", None
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _TABLE.match(line):
            table = header[1].replace('"', "").replace(" ", "")
            if table == key:
                return number
        elif assignment := _ASSIGNMENT.match(line):
            name = assignment[1].replace('"', "").replace(" ", "")
            if (f"{table}.{name}" if table else name) == key:
                return number
            if fallback is None and name.rsplit(".", 1)[-1] == leaf:
                fallback = number
    return fallback


def _coerce(key: str, value: Any, setting: Setting, where: str) -> Any:
    if setting.kind is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{where}: {key} must be true or false, not {value!r}")
    if setting.kind in (int, float) and isinstance(value, str):
        try:
            return setting.kind(value)
        except ValueError:
            raise ConfigError(f"{where}: {key} must be a number, not {value!r}") from None
    if not isinstance(value, setting.kind) or (setting.kind is int and isinstance(value, bool)):
        expected = getattr(setting.kind, "__name__", str(setting.kind))
        raise ConfigError(f"{where}: {key} must be {expected}, not {type(value).__name__} {value!r}")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(setting.choices)}, not {value!r}")
    problem = setting.check(value) if setting.check else None
    if problem:
        raise ConfigError(f"{where}: {key} {problem}, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """The refused value, inert and short: it may be anything a file or the environment held."""
    from .text import literal

    return literal(repr(value), 80)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration ({error.strerror})") from None
    import tomllib  # here: with no config file (the usual jump host) the console never pays for the parser

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    values: dict[str, Any] = {}
    for key, value in _flatten(table).items():
        line = _line_of(text, key)
        where = f"{path}, line {line}" if line else str(path)
        setting = SETTINGS.get(key)
        if setting is None:
            raise ConfigError(f"{where}: unknown key {key!r}")
        values[key] = _coerce(key, value, setting, where)
    if values.get("ui.keys"):
        values["ui.keys"] = _keymap(values["ui.keys"], lambda action_id: _where(path, text, f"ui.keys.{action_id}"))
    return text, values


def _routing(values: dict[str, Any], text: str, path: Path | None, environ: dict[str, str]) -> Routing | None:
    """[channels] and [audiences] resolved now, so a mistake or a missing secret stops the start, with its line."""
    if not values.get("channels") and not values.get("audiences"):
        return None
    from .channels import RoutingError, build_routing

    try:
        return build_routing(values.get("channels") or {}, values.get("audiences") or {}, environ)
    except RoutingError as error:
        line = _line_of(text, error.key)
        raise ConfigError(f"{path}, line {line}: {error.reason}" if line else f"{path}: {error.reason}") from None


def _where(path: Path, text: str, key: str) -> str:
    line = _line_of(text, key)
    return f"{path}, line {line}" if line else str(path)


def _keymap(keys: dict[str, Any], where: Callable[[str], str]) -> dict[str, str]:
    """`[ui.keys]` checked against the action registry: an unknown id, a collision or the quit key is refused."""
    from .actions import KeymapError, check_keymap

    try:
        return check_keymap(keys, where)
    except KeymapError as error:
        raise ConfigError(str(error)) from None


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Defaults < file < environment < flags. A missing default file is fine; a missing named one is not."""
    environ = dict(os.environ if environ is None else environ)
    values = {key: setting.default for key, setting in SETTINGS.items()}
    origins = {key: "default" for key in SETTINGS}
    values["responder"], values["journal"] = _default_responder(), default_journal_path()

    named = path or environ.get("WARROOM_CONFIG")
    file: Path | None = Path(named).expanduser() if named else default_config_path()
    text = ""
    if file is not None and file.exists():
        text, read = _read(file)
        for key, value in read.items():
            values[key], origins[key] = value, f"file {file}"
    elif named:
        raise ConfigError(f"{file}: configuration file not found")
    else:
        file = None

    for key, setting in SETTINGS.items():
        if setting.env and environ.get(setting.env) not in (None, ""):
            values[key] = _coerce(key, environ[setting.env], setting, f"environment {setting.env}")
            origins[key] = f"environment {setting.env}"

    for key, value in (overrides or {}).items():
        if value is None:
            continue
        values[key] = _coerce(key, value, SETTINGS[key], f"flag for {key}")
        if key == "ui.keys" and value:
            values[key] = _keymap(value, lambda _id: "flag for ui.keys")
        origins[key] = "command line"
    return Config(values, origins, file, _routing(values, text, file, environ))
