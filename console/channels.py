"""Where notifications go: the channels (`[channels.NAME]`) and who gets what (`[audiences.NAME]`).

Channels reach people outside Microsoft 365 (an SMTP relay, a chat webhook, a static status page) and through it
while it is up (Graph sendMail). Secrets (the SMTP password, the webhook URL) come from environment variables the
file names, never from the file; they are held as `Secret`, whose repr never shows the value, so a traceback or a
log line cannot carry one. Everything is checked when the configuration loads, with the file and line of a mistake.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .text import is_plain

CHANNEL_KINDS = ("smtp", "webhook", "graph", "statuspage")
SMTP_SECURITY = ("starttls", "tls", "none")
WEBHOOK_FORMATS = ("teams", "slack", "json")
AUDIENCE_NAMES = ("stakeholders", "technical", "users", "management")
MAIL_KINDS = ("smtp", "graph")      # channels that need recipients
_KEYS = {
    "smtp": {"kind", "host", "port", "security", "from", "username", "password_env", "timeout", "ca_file"},
    "webhook": {"kind", "url_env", "format", "timeout", "ca_file"},
    "graph": {"kind", "sender"},
    "statuspage": {"kind", "folder", "title"},
}
_SECRET_KEYS = {"password", "url", "token", "secret"}
_DEFAULT_PORT = {"starttls": 587, "tls": 465, "none": 25}


class Secret:
    """A credential read from the environment. Its repr and str are masked; `reveal()` is the one way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SmtpChannel:
    name: str
    host: str
    port: int
    security: str
    sender: str
    username: str | None = None
    password: Secret | None = None
    timeout: float = 20.0
    ca_file: str | None = None
    kind: str = "smtp"

    def describe(self) -> str:
        auth = f", as {self.username}" if self.username else ""
        return f"SMTP {self.host}:{self.port} ({self.security}{auth}) from {self.sender}"


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: Secret
    format: str = "json"
    timeout: float = 20.0
    ca_file: str | None = None
    kind: str = "webhook"

    def describe(self) -> str:
        return f"webhook ({self.format})"


@dataclass(frozen=True)
class GraphChannel:
    name: str
    sender: str
    kind: str = "graph"

    def describe(self) -> str:
        return f"Microsoft Graph sendMail as {self.sender} (only while Microsoft 365 is up)"


@dataclass(frozen=True)
class StatusPageChannel:
    name: str
    folder: Path
    title: str = "Service status"
    kind: str = "statuspage"

    def describe(self) -> str:
        return f"status page in {self.folder}"


Channel = SmtpChannel | WebhookChannel | GraphChannel | StatusPageChannel


@dataclass(frozen=True)
class Audience:
    name: str
    to: tuple[str, ...]
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Routing:
    """Every channel and audience, resolved: what `warroom notify` and the Communicate screen send through."""

    channels: dict[str, Channel]
    audiences: dict[str, Audience]

    def channels_for(self, audience: str) -> list[Channel]:
        found = self.audiences.get(audience)
        return [self.channels[name] for name in found.channels] if found else []

    def recipients(self, audience: str) -> tuple[str, ...]:
        found = self.audiences.get(audience)
        return found.to if found else ()

    def secrets(self) -> list[str]:
        """Every secret value, so any text bound for the journal, a log or the screen can be scrubbed of them."""
        values = []
        for channel in self.channels.values():
            for secret in (getattr(channel, "password", None), getattr(channel, "url", None)):
                if isinstance(secret, Secret) and secret.reveal():
                    values.append(secret.reveal())
        return values


class RoutingError(ValueError):
    """A mistake in [channels] or [audiences]; `key` is the dotted key the line lookup should find."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _text(table: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise RoutingError(where, f"{where}.{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise RoutingError(f"{where}.{key}", f"{where}.{key} must be a non-empty string")
    if not is_plain(value) or len(value) > 4096:
        raise RoutingError(f"{where}.{key}", f"{where}.{key} must not contain control, escape or invisible "
                           "characters")
    return value.strip()


def _number(table: Mapping[str, Any], key: str, where: str, default: float, low: float, high: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RoutingError(f"{where}.{key}", f"{where}.{key} must be a number from {low:g} to {high:g}")
    return float(value)


def _choice(table: Mapping[str, Any], key: str, where: str, choices: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise RoutingError(f"{where}.{key}", f"{where}.{key} must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _secret(table: Mapping[str, Any], key: str, where: str, environ: Mapping[str, str]) -> Secret:
    variable = _text(table, key, where)
    assert variable is not None
    value = environ.get(variable, "")
    if not value:
        raise RoutingError(f"{where}.{key}", f"{where}.{key} names {variable}, which is not set in the environment")
    return Secret(value)


def _smtp(name: str, table: Mapping[str, Any], where: str, environ: Mapping[str, str]) -> SmtpChannel:
    host = _text(table, "host", where)
    sender = _text(table, "from", where)
    assert host is not None and sender is not None
    security = _choice(table, "security", where, SMTP_SECURITY, "starttls")
    port = int(_number(table, "port", where, _DEFAULT_PORT[security], 1, 65535))
    if table.get("port") is not None and not isinstance(table.get("port"), int):
        raise RoutingError(f"{where}.port", f"{where}.port must be a whole number")
    if "@" not in sender:
        raise RoutingError(f"{where}.from", f"{where}.from must be an e-mail address, not {sender!r}")
    username = _text(table, "username", where, required=False)
    password = None
    if username:
        if "password_env" not in table:
            raise RoutingError(f"{where}.username", f"{where} has a username: name its password's environment "
                               "variable in password_env")
        password = _secret(table, "password_env", where, environ)
        if security == "none" and not is_loopback(host):
            raise RoutingError(f"{where}.security", f"{where}: security = \"none\" would send the password in "
                               f"plain text to {host}; use starttls or tls (plain text only to a loopback host)")
    elif "password_env" in table:
        raise RoutingError(f"{where}.password_env", f"{where}.password_env needs a username")
    return SmtpChannel(name, host, port, security, sender, username, password,
                       _number(table, "timeout", where, 20.0, 1, 300), _text(table, "ca_file", where, required=False))


def _webhook(name: str, table: Mapping[str, Any], where: str, environ: Mapping[str, str]) -> WebhookChannel:
    url = _secret(table, "url_env", where, environ)
    parts = urlsplit(url.reveal())
    variable = table["url_env"]
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RoutingError(f"{where}.url_env", f"{where}: {variable} must hold an https:// URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise RoutingError(f"{where}.url_env", f"{where}: {variable} must be https:// (plain http only to a "
                           "loopback host)")
    return WebhookChannel(name, url, _choice(table, "format", where, WEBHOOK_FORMATS, "json"),
                          _number(table, "timeout", where, 20.0, 1, 300),
                          _text(table, "ca_file", where, required=False))


def _graph(name: str, table: Mapping[str, Any], where: str, environ: Mapping[str, str]) -> GraphChannel:
    sender = _text(table, "sender", where)
    assert sender is not None
    if "@" not in sender:
        raise RoutingError(f"{where}.sender", f"{where}.sender must be a mailbox (user@domain), not {sender!r}")
    return GraphChannel(name, sender)


def _statuspage(name: str, table: Mapping[str, Any], where: str, environ: Mapping[str, str]) -> StatusPageChannel:
    folder = _text(table, "folder", where)
    assert folder is not None
    return StatusPageChannel(name, Path(folder).expanduser(),
                             _text(table, "title", where, required=False) or "Service status")


# kind -> builder(name, table, where, environment)
_BUILDERS: dict[str, Callable[[str, Mapping[str, Any], str, Mapping[str, str]], Channel]] = {
    "smtp": _smtp, "webhook": _webhook, "graph": _graph, "statuspage": _statuspage}


def build_routing(channels: Mapping[str, Any], audiences: Mapping[str, Any],
                  environ: Mapping[str, str]) -> Routing:
    """Resolve `[channels.*]` and `[audiences.*]`; the first mistake raises RoutingError naming its key."""
    built: dict[str, Channel] = {}
    for name, table in channels.items():
        where = f"channels.{name}"
        if not isinstance(table, Mapping):
            raise RoutingError(where, f"{where} must be a table ([{where}] with kind = …)")
        kind = table.get("kind")
        if kind not in CHANNEL_KINDS:
            raise RoutingError(f"{where}.kind" if "kind" in table else where,
                               f"{where}.kind must be one of {', '.join(CHANNEL_KINDS)}, not {kind!r}")
        for key in table:
            if key in _SECRET_KEYS:
                raise RoutingError(f"{where}.{key}", f"{where}.{key}: secrets come from the environment, never the "
                                   f"file (use {key}_env = \"VARIABLE\")")
            if key not in _KEYS[kind]:
                raise RoutingError(f"{where}.{key}", f"{where}: unknown key {key!r} for a {kind} channel "
                                   f"(known: {', '.join(sorted(_KEYS[kind]))})")
        built[name] = _BUILDERS[kind](name, table, where, environ)
    resolved: dict[str, Audience] = {}
    for name, table in audiences.items():
        where = f"audiences.{name}"
        if name not in AUDIENCE_NAMES:
            raise RoutingError(where, f"unknown audience {name!r} (audiences: {', '.join(AUDIENCE_NAMES)})")
        if not isinstance(table, Mapping):
            raise RoutingError(where, f"{where} must be a table with to = […] and channels = […]")
        for key in table:
            if key not in ("to", "channels"):
                raise RoutingError(f"{where}.{key}", f"{where}: unknown key {key!r} (known: channels, to)")
        to = table.get("to", [])
        names = table.get("channels", [])
        if not isinstance(to, list) or not all(isinstance(a, str) and "@" in a and is_plain(a) for a in to):
            raise RoutingError(f"{where}.to", f"{where}.to must be a list of e-mail addresses")
        if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
            raise RoutingError(f"{where}.channels", f"{where}.channels must be a list of channel names")
        for channel in names:
            if channel not in built:
                raise RoutingError(f"{where}.channels", f"{where} names channel {channel!r}, which is not defined "
                                   f"(define [channels.{channel}])")
            if built[channel].kind in MAIL_KINDS and not to:
                raise RoutingError(f"{where}.channels", f"{where} sends mail through {channel!r} but has no "
                                   "recipients (to = [\"…\"])")
        resolved[name] = Audience(name, tuple(a.strip() for a in to), tuple(dict.fromkeys(names)))
    return Routing(built, resolved)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced by ***: for error texts bound for the journal or the screen."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
