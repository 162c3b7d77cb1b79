"""What the simulated tenant puts on the wire: Graph's page sizes and error codes, the request record, an answer,
paging tokens and links. Shared by the server (server.py) and the routes it dispatches to (routes.py).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode

import orjson

from .odata import QueryError

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
DEFAULT_PAGE, MAX_PAGE = 100, 1000
MAX_PAGE_BY_COLLECTION = {"alerts": 2000, "incidents": 50, "riskyUsers": 500}
# What `GET users/{id}` returns without $select, as Graph does (accountEnabled needs $select).
USER_DEFAULT_SELECT = ("businessPhones,displayName,givenName,jobTitle,mail,mobilePhone,officeLocation,"
                       "preferredLanguage,surname,userPrincipalName,id")
ERROR_CODES = {
    400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied", 404: "NotFound",
    405: "BadRequest", 429: "TooManyRequests", 500: "generalException", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "GatewayTimeout",
}


@dataclass
class RequestRecord:
    """One request as the tenant saw it: what tests and `warroom sim` look at."""

    at: float                   # time.monotonic()
    at_utc: datetime
    scenario_time: float
    method: str
    path: str                   # as sent, without the query, e.g. /v1.0/security/alerts_v2
    query: dict[str, str]
    headers: dict[str, str]
    body: Any                   # parsed JSON, raw text when not JSON, None when empty
    status: int = 0
    fault: str | None = None    # the fault kind that shaped the answer, if any


@dataclass
class Answer:
    """One HTTP answer, before it is written (a fault may delay it, or drop the connection: status 0)."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: str | None = None


class ErrorAnswer(Exception):
    """An error answer: a route raises it, the server writes it as Graph's JSON error body with this status and
    code (what the console makes of that answer is the gateway's GraphError)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or ERROR_CODES.get(status, "UnknownError")


def dump(value: Any) -> bytes:
    """Compact JSON, as Graph sends it: orjson writes the same bytes as `json.dumps` ~5x faster (a page of
    alerts is 1.7 MB, and the tenant shares the machine with the console it serves)."""
    try:
        return orjson.dumps(value)
    except TypeError:       # what orjson will not write (a non-string key, a huge integer): as json writes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def relative_path(path: str) -> str | None:
    """The path after /v1.0, or None when the request names another version."""
    parts = [unquote(p) for p in path.split("/") if p]
    if not parts or parts[0].lower() != "v1.0":
        return None
    return "/".join(parts[1:])


def skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def offset_of(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        key, _, value = text.partition("=")
        if key != "offset":
            raise ValueError
        return int(value)
    except ValueError:
        raise QueryError(f"Invalid $skiptoken: {token!r}") from None


def next_link(base_url: str, record: RequestRecord, offset: int) -> str:
    """The same request from `offset` on, as @odata.nextLink."""
    query = {k: v for k, v in record.query.items() if k.lower() != "$skiptoken"}
    query["$skiptoken"] = skiptoken(offset)
    return f"{base_url}/{relative_path(record.path)}?{urlencode(query, safe='$,')}"
