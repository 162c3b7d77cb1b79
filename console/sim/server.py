"""The simulated tenant: our own HTTP server speaking Microsoft Graph's v1.0 HTTP and JSON.

`warroom demo`, drills and every test talk to it exactly as they would to Graph (msgraph-sdk over real
HTTP), so nothing in the console needs a fake layer. It binds to 127.0.0.1 only. Scenario time runs at
`speed` times the wall clock from `start_at`, and `advance()` jumps it forward; the timeline is applied
lazily, under one lock, whenever a request arrives.
"""

from __future__ import annotations

import json
import math
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..timefmt import utc_now
from .faults import Fault
from .odata import QueryError
from .routes import route
from .scenario import Scenario, ScenarioError, load_scenario, parse_event
from .state import TenantState
from .wire import (
    ERROR_CODES,
    Answer,
    ErrorAnswer,
    RequestRecord,
    dump,
    next_link,
    offset_of,
    relative_path,
    skiptoken,
)

_HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
             b"</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n")


class SimulatedTenant:
    """A Graph-compatible tenant on 127.0.0.1, driven by a scenario's timeline."""

    def __init__(self, scenario: Scenario | str | Path, *, speed: float = 1.0, start_at: float = 0.0,
                 faults: list[Fault] | None = None, port: int = 0, origin: datetime | None = None,
                 on_request: Callable[[RequestRecord], None] | None = None,
                 rate_limits: dict[str, float] | None = None) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed, self.start_at, self.port = speed, start_at, port
        self.faults: list[Fault] = [*(_copy_fault(f) for f in self.scenario.faults), *(faults or [])]
        self.requests: list[RequestRecord] = []
        self.on_request = on_request
        # path prefix -> minimum wall seconds between requests (Graph: riskyUsers, 1 a second per tenant)
        self.rate_limits = {**self.scenario.rate_limits, **{k.strip("/"): v for k, v in (rate_limits or {}).items()}}
        self._last_seen: dict[str, float] = {}
        self.base_url = ""
        self._origin = origin
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._advanced = 0.0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.state: TenantState | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a daemon thread; returns the base URL. After stop(), serves the same state on the same port
        again (Graph "comes back"), with scenario time having run on meanwhile."""
        if self._server is not None:
            return self.base_url
        if self.state is None:
            begin = self.elapsed()  # start_at, plus anything advance()d before start
            origin = self._origin or (utc_now() - timedelta(seconds=begin))
            self.state = TenantState(self.scenario, origin, speed=self.speed, start_at=begin)
            self.state.start()
            self.state.advance_to(begin)
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.tenant = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        if self._started_at is None:
            self._started_at = time.monotonic()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1.0"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sim-{self.scenario.name}", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections: afterwards Graph is simply unreachable."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> SimulatedTenant:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- time and faults ----------------------------------------------------------------------------------
    def elapsed(self) -> float:
        """Scenario seconds: wall time since start() times speed, plus start_at and any advance()."""
        running = 0.0 if self._started_at is None else (time.monotonic() - self._started_at) * self.speed
        return running + self.start_at + self._advanced

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("scenario time only moves forward")
        with self._lock:
            self._advanced += seconds
            if self.state:
                self.state.advance_to(self.elapsed())

    def now(self) -> datetime:
        """The tenant's current UTC moment: what it stamps on anything that happens now."""
        with self._lock:
            if self.state is None:
                return utc_now()
            self.state.advance_to(self.elapsed())
            return self.state.wall(self.state.clock)

    def happened(self) -> list[tuple[float, str]]:
        """The timeline so far: (scenario second, what happened), oldest first."""
        with self._lock:
            if self.state is None:
                return []
            self.state.advance_to(self.elapsed())
            return list(self.state.happened)

    def inject(self, event: dict[str, Any]) -> None:
        """Play one more timeline step, written as a scenario's `[[events]]` table (`at` defaults to now).

        For drills run by a facilitator: "a new high-severity alert arrives", "Microsoft posts an update".
        Raises ValueError (ScenarioError) when the table is not a valid event.
        """
        with self._lock:
            if self.state is None:
                raise RuntimeError("start the tenant first")
            now = self.elapsed()
            self.state.advance_to(now)
            table = {"at": now, **event}
            try:
                parsed = parse_event(table, None)
            except (ValueError, TypeError, KeyError) as error:
                raise ScenarioError(f"not a valid event: {error}") from None
            if parsed.action == "update":
                self.state.find(parsed.collection, parsed.id or "")  # NotFound before anything changes
            self.state.schedule(parsed)
            self.state.advance_to(now)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # -- answering ----------------------------------------------------------------------------------------
    def _answer(self, record: RequestRecord) -> Answer:
        """Everything but the socket: called by the handler thread, under the lock."""
        assert self.state is not None
        self.state.advance_to(self.elapsed())
        record.scenario_time = self.state.clock
        token = _bearer(record.headers)
        relative = relative_path(record.path)
        try:
            if relative is None:
                raise ErrorAnswer(400, f"Invalid version: {record.path.strip('/').split('/')[0]}", "BadRequest")
            if token is None:
                raise ErrorAnswer(401, "Access token is empty.")
            if self._over_rate_limit(relative, record.at):
                answer = self._error(429, "TooManyRequests", "Too many requests.", record)
                answer.fault = "rate-limit"
                return answer
            fault = next((f for f in self.faults if f.matches(record.method, relative, record.scenario_time)), None)
            faulty = self._fault_answer(fault, token, record) if fault else None
            if faulty is not None and (faulty.status or faulty.fault == "disconnect"):
                return faulty
            missing = _required_permission(record.method, relative, record.body)
            if missing and missing in self.scenario.permissions_missing:
                raise ErrorAnswer(403, "Insufficient privileges to complete the operation.")
            normal = self._route(record, relative)
            if faulty is not None:  # slow, truncated or a broken nextLink: shape the normal answer
                normal.delay, normal.fault = faulty.delay, faulty.fault
                if faulty.fault == "truncated-json" and normal.body:
                    normal.body = normal.body[: max(1, len(normal.body) // 2)]
                elif faulty.fault and faulty.fault.endswith("-next-link") and normal.status == 200:
                    normal.body = self._broken_next_link(faulty.fault, normal.body, record, relative)
            return normal
        except ErrorAnswer as error:
            return self._error(error.status, error.code, error.message, record)
        except QueryError as error:
            return self._error(400, "BadRequest", str(error), record)

    def _over_rate_limit(self, relative: str, now: float) -> bool:
        """Too soon after the last request under a rate-limited prefix? Answered 429 without Retry-After."""
        lowered = relative.lower()
        for prefix, interval in self.rate_limits.items():
            if lowered.startswith(prefix.lower()):
                last = self._last_seen.get(prefix)
                if last is not None and now - last < interval:
                    return True
                self._last_seen[prefix] = now
        return False

    def _fault_answer(self, fault: Fault, token: str, record: RequestRecord) -> Answer | None:
        kind = fault.kind
        if kind == "token-expired":
            if not fault.expired_tokens:
                fault.expired_tokens.add(token)
            if token not in fault.expired_tokens:
                fault.count = fault.used  # a fresh token: the fault is over
                return None
            fault.used += 1
            answer = self._error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.",
                                 record)
            answer.headers["WWW-Authenticate"] = ('Bearer realm="", error="invalid_token", '
                                                  'error_description="The access token has expired"')
            answer.fault = kind
            return answer
        fault.used += 1
        if kind == "throttle":
            answer = self._error(429, "TooManyRequests", "Too many requests.", record)
            if fault.retry_after is not None:
                answer.headers["Retry-After"] = _seconds(fault.retry_after)
        elif kind == "server-error":
            status = fault.status or 503
            answer = self._error(status, ERROR_CODES[status], "The service is temporarily unavailable.", record)
            if fault.retry_after is not None:
                answer.headers["Retry-After"] = _seconds(fault.retry_after)
        elif kind == "html-502":
            answer = Answer(502, _HTML_502, "text/html")
        elif kind == "disconnect":
            answer = Answer(0)
        elif kind == "forbidden":
            answer = self._error(403, "Authorization_RequestDenied",
                                 "Insufficient privileges to complete the operation.", record)
        else:  # slow, truncated-json, *-next-link: the normal answer, shaped afterwards
            answer = Answer(0)
        answer.delay, answer.fault = fault.delay, kind
        return answer

    def _broken_next_link(self, kind: str, body: bytes, record: RequestRecord, relative: str) -> bytes:
        """A collection page whose @odata.nextLink loops, leaves the collection, or never ends."""
        try:
            page = json.loads(body)
        except ValueError:
            return body
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            return body
        token = next((v for k, v in record.query.items() if k.lower() == "$skiptoken"), None)
        offset = offset_of(token) if token else 0
        if kind == "looping-next-link":
            page["@odata.nextLink"] = next_link(self.base_url, record, offset)       # this very page, again
        elif kind == "escaping-next-link":
            page["@odata.nextLink"] = f"{self.base_url}/users?$skiptoken={skiptoken(offset)}"
        else:
            page["@odata.nextLink"] = next_link(self.base_url, record, offset + max(1, len(page["value"])))
        return dump(page)

    def _error(self, status: int, code: str, message: str, record: RequestRecord) -> Answer:
        body = {"error": {"code": code, "message": message, "innerError": {
            "date": record.at_utc.strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": record.headers.get("request-id", ""),
            "client-request-id": record.headers.get("client-request-id", ""),
        }}}
        return Answer(status, dump(body))

    def _route(self, record: RequestRecord, relative: str) -> Answer:
        return route(self.base_url, self.state, record, relative)  # type: ignore[arg-type]


def _seconds(value: float) -> str:
    """Retry-After is whole seconds on the wire (RFC 9110): round a fraction up."""
    return str(math.ceil(value))


def _copy_fault(fault: Fault) -> Fault:
    """Scenario faults are templates: each tenant counts its own uses."""
    return Fault(fault.kind, fault.path_prefix, fault.count, fault.retry_after, fault.delay, fault.status,
                 fault.method, fault.start, fault.end)


def _bearer(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None



_PERMISSIONS = [  # (method or "*", path pattern, permission Graph needs at least); first match wins
    ("*", r"admin/serviceannouncement/messages", "ServiceMessage.Read.All"),
    ("*", r"admin/serviceannouncement", "ServiceHealth.Read.All"),
    ("GET", r"security/alerts_v2", "SecurityAlert.Read.All"),
    ("*", r"security/alerts_v2", "SecurityAlert.ReadWrite.All"),
    ("GET", r"security/incidents", "SecurityIncident.Read.All"),
    ("*", r"security/incidents", "SecurityIncident.ReadWrite.All"),
    ("*", r"security/runhuntingquery", "ThreatHunting.Read.All"),
    ("GET", r"identityprotection/riskyusers", "IdentityRiskyUser.Read.All"),
    ("*", r"identityprotection/riskyusers", "IdentityRiskyUser.ReadWrite.All"),
    ("GET", r"identityprotection/riskdetections", "IdentityRiskEvent.Read.All"),
    ("*", r"auditlogs", "AuditLog.Read.All"),
    ("GET", r"users/[^/]+/mailfolders/[^/]+/messagerules", "MailboxSettings.Read"),
    ("GET", r"users/[^/]+/mailfolders", "Mail.ReadBasic.All"),
    ("GET", r"users/[^/]+/mailboxsettings", "MailboxSettings.Read"),
    ("*", r"users/[^/]+/(mailfolders|mailboxsettings)", "MailboxSettings.ReadWrite"),
    ("GET", r"users/[^/]+/authentication", "UserAuthenticationMethod.Read.All"),
    ("*", r"users/[^/]+/authentication", "UserAuthenticationMethod.ReadWrite.All"),
    ("GET", r"users", "User.Read.All"),
    ("PASSWORD", r"users", "User-PasswordProfile.ReadWrite.All"),
    ("PATCH", r"users", "User.EnableDisableAccount.All"),
    ("POST", r"users", "User.RevokeSessions.All"),
    ("GET", r"oauth2permissiongrants", "Directory.Read.All"),
    ("*", r"oauth2permissiongrants", "DelegatedPermissionGrant.ReadWrite.All"),
    ("GET", r"serviceprincipals", "Application.Read.All"),
    ("GET", r"directory/deleteditems/microsoft\.graph\.group", "Group.Read.All"),
    ("GET", r"directory/deleteditems", "User.Read.All"),
    ("POST", r"directory/deleteditems", "User.ReadWrite.All"),
]


def _required_permission(method: str, relative: str, body: Any = None) -> str | None:
    """The permission a request needs; a PATCH that sets a password needs the password-profile permission."""
    lowered = relative.lower()
    if method == "PATCH" and isinstance(body, dict) and "passwordProfile" in body:
        method = "PASSWORD"
    for want_method, pattern, permission in _PERMISSIONS:
        if (want_method in ("*", method)) and re.match(pattern, lowered):
            return permission
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a timeout test, a closed console) is normal, not a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    timeout = 30

    def version_string(self) -> str:
        return "Microsoft-IIS/10.0"

    def log_message(self, format: str, *args: Any) -> None:  # the tenant keeps its own records
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def setup(self) -> None:
        super().setup()
        tenant: SimulatedTenant = self.server.tenant  # type: ignore[attr-defined]
        with tenant._lock:
            tenant._connections.add(self.connection)

    def finish(self) -> None:
        tenant: SimulatedTenant = self.server.tenant  # type: ignore[attr-defined]
        with tenant._lock:
            tenant._connections.discard(self.connection)
        super().finish()

    def _handle(self) -> None:
        tenant: SimulatedTenant = self.server.tenant  # type: ignore[attr-defined]
        raw = self._read_body()
        split = urlsplit(self.path)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers.setdefault("client-request-id", str(uuid.uuid4()))
        headers["request-id"] = str(uuid.uuid4())
        record = RequestRecord(time.monotonic(), datetime.now(UTC), 0.0, self.command, split.path,
                               dict(parse_qsl(split.query, keep_blank_values=True)), headers, body)
        with tenant._lock:
            answer = tenant._answer(record)
            record.status, record.fault = answer.status, answer.fault
            tenant.requests.append(record)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.fault == "disconnect":  # the connection drops with no answer at all
            self.close_connection = True
            return
        self.send_response(answer.status)
        self.send_header("request-id", headers["request-id"])
        self.send_header("client-request-id", headers["client-request-id"])
        self.send_header("Cache-Control", "no-cache")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status != 204:
            self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if answer.body and self.command != "HEAD":
            self.wfile.write(answer.body)
        if tenant.on_request:
            tenant.on_request(record)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle
