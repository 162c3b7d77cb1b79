"""The one way requests reach Graph: msgraph-sdk's auth and middleware, our own JSON, paging and errors.

Raw mode: the SDK builds the request (`to_get_request_information`) and sends it with its auth provider
and middleware, but a response handler hands us the HTTP response untouched. So the first request does
not import the SDK's ~1,200 model modules on the event loop, an enum value Graph added last week stays a
string, and every failure (429, 5xx, truncated JSON, an HTML page from a proxy) becomes a typed error.

Retries, deliberately: the SDK's RetryHandler is switched off for every request. For GETs the poller
retries, honouring Retry-After exactly and updating Freshness after every attempt; a POST or PATCH is
never retried, so a containment action runs at most once per confirmation.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit

import httpx
import orjson
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.response_handler import ResponseHandler
from kiota_http.middleware.options import ResponseHandlerOption, RetryHandlerOption

from ..clouds import Endpoint
from ..timefmt import utc_now
from .auth import Session, SignInRequired
from .errors import (
    GraphDenied,
    GraphError,
    GraphNotFound,
    GraphRejected,
    GraphThrottled,
    GraphUnavailable,
    PagingCut,
)
from .models import orjson_reads_as_json
from .sources import SOURCES, Source, permission_for

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
# Pages one read of a collection follows at most: 200,000 alerts at Graph's 1,000 a page. A proxy that invents
# endless distinct nextLinks costs this many requests per poll, not an unbounded stream.
MAX_PAGES = 200
# A read someone is waiting for (a user's sign-ins, evidence) asks for a few dozen objects: a few pages, even
# with the empty pages Graph sends for filtered audit logs.
ON_DEMAND_PAGES = 20
NO_RETRY = RetryHandlerOption(delay=0, max_retries=0, should_retry=False)
_LICENCE_HINTS = re.compile(r"premium|licen[cs]e|\bP[12]\b|subscription", re.IGNORECASE)
_ROLE_HINTS = re.compile(
    r"directory role|admin(istrator)? role|role assignment|Security (Reader|Operator|Administrator)", re.IGNORECASE
)


@dataclass(frozen=True)
class GraphResponse:
    status: int
    json: Any                  # parsed body, or None for 204
    request_id: str | None


class Page(list[dict[str, Any]]):
    """One page's objects as read. `exact`: orjson read it, so it holds only JSON's own values (no NaN or infinity,
    no lone surrogate, no integer past 64 bits), each of which orjson writes back as it read it."""

    exact: bool = False


class Collected(list[dict[str, Any]]):
    """A collection's items as read; `cut` says why paging stopped before Graph said the end (None: complete)."""

    cut: str | None = None


@dataclass(frozen=True)
class RequestPreview:
    """Exactly what will be sent, for the confirmation dialog and the journal's `action` entry."""

    method: str
    url: str
    body: str | None           # the JSON text, byte for byte what goes on the wire

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "body": self.body}


class _HandOverResponse(ResponseHandler):
    """Return the httpx response as is: we classify status codes and parse JSON ourselves."""

    async def handle_response_async(self, response: Any, error_map: Any) -> Any:
        return response


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - utc_now()).total_seconds())


def _unbound(response: httpx.Response) -> httpx.Response:
    """The response without the stream httpx binds back to it once its body is read and the stream closed.

    That stream refers to its response: a reference cycle, so every page (its body, ~1 MB of bytes, its request,
    headers and connection objects) would wait for the collector's next full pass instead of going the moment it
    is dropped; those passes walk everything that lives, 50,000 alerts included, and stall the event loop.
    """
    if response.is_closed and response.is_stream_consumed:
        response.stream = httpx.ByteStream(b"")
    return response


def _request_id(response: httpx.Response, body: Any) -> str | None:
    for header in ("request-id", "client-request-id", "x-ms-request-id"):
        if response.headers.get(header):
            return response.headers[header]
    if isinstance(body, dict):
        inner = (body.get("error") or {}).get("innerError") or {}
        if isinstance(inner, dict):
            return inner.get("request-id") or inner.get("requestId")
    return None


def _parse_body(response: httpx.Response) -> Any:
    """JSON or a GraphUnavailable that says what came back instead (an HTML page, half a document)."""
    return _read_body(response)[0]


def _read_body(response: httpx.Response) -> tuple[Any, bool]:
    """`_parse_body`, and whether orjson read it (what `Page.exact` says)."""
    content = response.content
    if not content.strip():
        return None, False
    kind = response.headers.get("content-type", "").lower()
    if "html" in kind or content.lstrip()[:1] == b"<":
        raise GraphUnavailable(f"HTML page instead of JSON (HTTP {response.status_code})",
                               status=response.status_code, request_id=_request_id(response, None))
    if orjson_reads_as_json(content):
        try:
            return orjson.loads(content), True
        except orjson.JSONDecodeError:
            pass    # what orjson refuses and Python reads (NaN, infinity, a lone surrogate, UTF-16)
    try:
        return json.loads(content), False
    except (ValueError, UnicodeDecodeError):
        raise GraphUnavailable(f"truncated JSON (HTTP {response.status_code}, {len(content)} bytes)",
                               status=response.status_code, request_id=_request_id(response, None)) from None


def _graph_error(body: Any) -> tuple[str | None, str | None]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (str(code) if code is not None else None, str(message) if message is not None else None)


def classify(response: httpx.Response, method: str, path: str) -> GraphError:
    """A failed response as a typed error; never raises while doing so."""
    status = response.status_code
    try:
        body = _parse_body(response)
    except GraphUnavailable as unreadable:
        body = None
        if status < 500 and status not in (401, 403, 404, 429):
            return unreadable
    code, message = _graph_error(body)
    request_id = _request_id(response, body)
    common: dict[str, Any] = {"status": status, "request_id": request_id, "code": code, "message": message}
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    if status == 429:
        return GraphThrottled("429", retry_after=retry_after, **common)
    if status in (401, 403):
        permission = permission_for(method, path)
        text = f"{code or ''} {message or ''}"
        licence = status == 403 and bool(_LICENCE_HINTS.search(text))
        role = status == 403 and not licence and bool(_ROLE_HINTS.search(text))
        if status == 401:
            reason = "401 sign-in rejected"
        elif licence:
            reason = "403 missing licence"
        elif role:
            reason = "403 missing role"
        else:
            reason = f"403 {permission}" if permission else "403 forbidden"
        return GraphDenied(reason, permission=permission, licence=licence, role=role, **common)
    if status == 404:
        return GraphNotFound(f"404 {code or 'not found'}", **common)
    if status >= 500 or status == 408:
        if body is None and response.content.strip():
            kind = "HTML page" if b"<" in response.content[:64] else "unreadable body"
            return GraphUnavailable(f"HTTP {status} ({kind})", retry_after=retry_after, **common)
        return GraphUnavailable(f"HTTP {status}", retry_after=retry_after, **common)
    return GraphRejected(f"HTTP {status} {code or ''}".strip(), **common)


class GraphGateway:
    """One `GraphServiceClient` for the session; every Graph call in the console goes through here."""

    def __init__(self, endpoint: Endpoint, session: Session, *, client: Any | None = None,
                 timeout: httpx.Timeout | None = None) -> None:
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph import GraphRequestAdapter, GraphServiceClient
        from msgraph.graph_request_adapter import options as sdk_options
        from msgraph_core import GraphClientFactory

        self.endpoint = endpoint
        self.session = session
        if client is None:
            # Allowed hosts = exactly the host we call: a host missing here gets no Authorization header.
            auth = AzureIdentityAuthenticationProvider(
                session,  # type: ignore[arg-type]  # an async credential: get_token and close are all it uses
                None, scopes=endpoint.scopes, allowed_hosts=endpoint.allowed_hosts
            )
            http = httpx.AsyncClient(
                base_url=endpoint.base_url,
                timeout=timeout or httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            )
            options = {**sdk_options, NO_RETRY.get_key(): NO_RETRY}
            http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = endpoint.base_url
            client = GraphServiceClient(request_adapter=adapter)
        self.client = client
        self.adapter = client.request_adapter
        self._paced: dict[str, asyncio.Lock] = {}      # rate-limited collection -> one request at a time
        self._answered: dict[str, float] = {}          # ... and when its last answer arrived (monotonic)

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    async def close(self) -> None:
        http = getattr(self.adapter, "_http_client", None)
        if http is not None:
            await http.aclose()
        await self.session.close()

    async def __aenter__(self) -> GraphGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- building requests ----------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + "/" + path.lstrip("/")

    def describe_request(self, method: str, path: str, body: Any | None = None) -> RequestPreview:
        """The exact method, absolute URL and JSON body text `send` will use."""
        text = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return RequestPreview(method.upper(), self.url_for(path), text)

    def _source_request(self, source: Source, params: dict[str, str]) -> RequestInformation:
        with warnings.catch_warnings():     # the generated builders warn about their own deprecated classes
            warnings.simplefilter("ignore", DeprecationWarning)
            info = source.builder(self.client).to_get_request_information()
        for name, value in params.items():
            info.query_parameters[quote(name, safe="")] = value
        return info

    def _leaves_collection(self, link: str, path: str) -> str | None:
        """Where a nextLink goes when it is not the next page of the collection asked for, else None.

        Another host must not get our token or steer us; another path is another collection, not more of this one.
        """
        asked, theirs = urlsplit(self.url_for(path)), urlsplit(link)
        if (theirs.scheme, theirs.netloc) != (asked.scheme, asked.netloc):
            return f"another host ({theirs.netloc[:80]})"
        if unquote(theirs.path).rstrip("/").lower() != unquote(asked.path).rstrip("/").lower():
            return f"another path ({unquote(theirs.path)[:80]})"
        return None

    # -- sending --------------------------------------------------------------------------------

    def _rate_limit(self, url: str) -> tuple[str, float] | None:
        """The collection and its minimum gap when the URL is under a rate-limited one (riskyUsers: 1 s)."""
        path, base = unquote(urlsplit(url).path).lower(), urlsplit(self.base_url).path.rstrip("/").lower()
        relative = path[len(base):] if path.startswith(base) else path
        for source in SOURCES.values():
            if source.min_interval and (relative == source.path.lower()
                                        or relative.startswith(source.path.lower() + "/")):
                return source.path, source.min_interval
        return None

    async def _send(self, info: RequestInformation) -> httpx.Response:
        """Send one request; under a rate-limited collection, after its gap since the previous answer.

        riskyUsers allows one request a second per tenant and answers 429 without Retry-After: every request
        there (the poller's pages, preflight, status, a containment POST, anything on a watch list) queues here,
        and the gap counts from when the previous answer arrived, so Graph sees it however slow the network.
        """
        limit = self._rate_limit(info.url)
        if limit is None:
            return await self._send_now(info)
        collection, interval = limit
        async with self._paced.setdefault(collection, asyncio.Lock()):
            last = self._answered.get(collection)
            if last is not None and (wait := last + interval - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            try:
                return await self._send_now(info)
            finally:
                self._answered[collection] = time.monotonic()

    async def _send_now(self, info: RequestInformation) -> httpx.Response:
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        info.add_request_options([ResponseHandlerOption(_HandOverResponse()), NO_RETRY])
        info.headers.try_add("Prefer", "include-unknown-enum-members")
        try:
            # _HandOverResponse makes the SDK return the HTTP response itself, untouched
            response = cast(httpx.Response, await self.adapter.send_primitive_async(info, "bytes",
                                                                                    {"XXX": ODataError}))
        except SignInRequired:
            raise
        except httpx.TimeoutException:
            raise GraphUnavailable("timeout") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise GraphUnavailable(f"connection failed ({type(error).__name__})") from None
        except httpx.HTTPError as error:
            raise GraphUnavailable(f"HTTP transport error ({type(error).__name__})") from None
        return _unbound(response)

    async def _get(self, info: RequestInformation, path: str) -> tuple[Any, str | None, bool]:
        """GET once; on 401 drop the cached token and try exactly once more with a new one. The parsed body, the
        request id, and whether orjson read it (`Page.exact`)."""
        response = await self._get_response(info, path)
        body, exact = _read_body(response)
        return body, _request_id(response, body), exact

    async def _get_response(self, info: RequestInformation, path: str) -> httpx.Response:
        for attempt in (1, 2):
            response = await self._send(info)
            if response.status_code == 401 and attempt == 1:
                self.session.invalidate()
                info.headers.remove("Authorization")    # else the SDK resends the rejected token
                continue
            if not response.is_success:
                raise classify(response, "GET", path)
            return response
        raise AssertionError("unreachable")

    async def pages(self, source: Source | str, params: dict[str, str] | None = None, *,
                    pace: Callable[[], Awaitable[None]] | None = None,
                    max_pages: int = MAX_PAGES) -> AsyncIterator[Page]:
        """Each page's `value` list, following @odata.nextLink ourselves (empty pages included).

        `pace` is awaited before every request (rate-limited collections are paced in `_send` already).
        Raises PagingCut after the last page when paging stopped before Graph said the end.
        """
        if isinstance(source, str):
            source = SOURCES[source]
        query = dict(source.params)
        if source.page_size:
            query.setdefault("$top", str(source.page_size))
        query.update(params or {})
        async for page in self._follow(self._source_request(source, query), source.path, pace=pace,
                                       max_pages=max_pages):
            yield page

    async def _follow(self, info: RequestInformation, path: str, *,
                      pace: Callable[[], Awaitable[None]] | None = None,
                      max_pages: int = MAX_PAGES) -> AsyncGenerator[Page, None]:
        """The one paging loop: every collection read, polled or on demand, follows nextLinks here.

        It ends at the last page, or with PagingCut when a link repeats, leaves the collection, or a page
        only repeats objects already read (a loop with fresh-looking links), or after `max_pages`.
        """
        seen_links = {info.url}
        seen_ids: set[str] = set()
        for number in range(1, max_pages + 1):
            if pace is not None:
                await pace()
            body, _, exact = await self._get(info, path)
            if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
                raise GraphUnavailable("unexpected JSON shape (no value list)")
            page = Page(item for item in body.get("value", []) if isinstance(item, dict))
            page.exact = exact
            ids = {str(item["id"]) for item in page if item.get("id") is not None}
            if number > 1 and ids and ids <= seen_ids:
                raise PagingCut(f"nextLink went back to objects already read after {number - 1} pages",
                                pages=number - 1)
            seen_ids |= ids
            yield page
            link = body.get("@odata.nextLink")
            if not link:
                return
            link = str(link)
            elsewhere = self._leaves_collection(link, path)
            if elsewhere:
                raise PagingCut(f"nextLink to {elsewhere} refused after {number} pages", pages=number)
            if link in seen_links:
                raise PagingCut(f"nextLink repeated after {number} pages", pages=number)
            seen_links.add(link)
            info = RequestInformation(Method.GET)
            info.url = link
            info.headers.try_add("Accept", "application/json")
        raise PagingCut(f"first {max_pages} pages only", pages=max_pages)

    async def collect(self, source: Source | str, params: dict[str, str] | None = None) -> Collected:
        items = Collected()
        try:
            async for page in self.pages(source, params):
                items.extend(page)
        except PagingCut as cut:
            items.cut = cut.reason
        return items

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        """A GET outside the watched sources (/me, /organization, audit logs for one user)."""
        info = RequestInformation(Method.GET)
        info.url = self._with_query(self.url_for(path), params)
        info.headers.try_add("Accept", "application/json")
        return (await self._get(info, path))[0]

    @staticmethod
    def _with_query(url: str, params: dict[str, str] | None) -> str:
        if not params:
            return url
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in params.items())
        return url + ("&" if "?" in url else "?") + query

    async def get_all(self, path: str, params: dict[str, str] | None = None, *, limit: int = 1000,
                      max_pages: int = ON_DEMAND_PAGES) -> Collected:
        """Follow nextLinks of an arbitrary collection, up to `limit` items (no request once it is reached)."""
        info = RequestInformation(Method.GET)
        info.url = self._with_query(self.url_for(path), params)
        info.headers.try_add("Accept", "application/json")
        items = Collected()
        pages = self._follow(info, path, max_pages=max_pages)
        try:
            async for page in pages:
                items.extend(page[: limit - len(items)])
                if len(items) >= limit:
                    break
        except PagingCut as cut:
            items.cut = cut.reason
        finally:
            await pages.aclose()
        return items

    async def incident_report(self, issue_id: str) -> bytes:
        """Microsoft's post-incident report for a service issue, as the bytes Graph sent (a document)."""
        path = f"/admin/serviceAnnouncement/issues/{quote(issue_id, safe='')}/incidentReport()"
        info = RequestInformation(Method.GET)
        info.url = self.url_for(path)
        return (await self._get_response(info, path)).content

    async def send(self, method: str, path: str, body: Any | None = None) -> GraphResponse:
        """A containment action: sent exactly once. Never retried, not even after a 401 or 429."""
        preview = self.describe_request(method, path, body)
        info = RequestInformation(Method[preview.method])
        info.url = preview.url
        info.headers.try_add("Accept", "application/json")
        if preview.body is not None:
            info.set_stream_content(preview.body.encode("utf-8"), "application/json")
            info.headers.try_add("Content-Type", "application/json")
        response = await self._send(info)
        if response.status_code == 401:
            self.session.invalidate()      # the next action asks for a new token; this one is not resent
        if not response.is_success:
            raise classify(response, preview.method, path)
        parsed = _parse_body(response) if response.status_code != 204 else None
        return GraphResponse(response.status_code, parsed, _request_id(response, parsed))


def warmed_up_gateway(endpoint: Endpoint, session: Session, **kwargs: Any) -> GraphGateway:
    """Build the gateway and every source's request once, so their imports happen here, not on the loop."""
    gateway = GraphGateway(endpoint, session, **kwargs)
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: F401

    for source in SOURCES.values():
        gateway._source_request(source, {})
    return gateway


async def open_gateway(endpoint: Endpoint, session: Session, **kwargs: Any) -> GraphGateway:
    """Build the gateway in a worker thread: msgraph's imports take ~0.2 s and must not stall the UI."""
    return await asyncio.to_thread(warmed_up_gateway, endpoint, session, **kwargs)
