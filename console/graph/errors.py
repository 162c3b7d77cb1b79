"""What can go wrong talking to Graph, as typed errors the pollers and commands turn into a stale state.

Light on purpose (no SDK import): the UI and the watcher catch these without loading msgraph.
"""

from __future__ import annotations

from typing import Any


class SignInRequired(Exception):
    """No usable session: a responder must run `warroom login` (or sign in from the console)."""


class GraphError(Exception):
    """A Graph request failed; `reason` is the short text a status bar shows."""

    def __init__(self, reason: str, *, status: int | None = None, request_id: str | None = None,
                 code: str | None = None, message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.request_id = request_id
        self.code = code            # Graph's error.code, as sent (hostile: print literally)
        self.message = message      # Graph's error.message, as sent


class GraphThrottled(GraphError):
    """429: wait `retry_after` seconds (None when Graph did not say) before asking that source again."""

    def __init__(self, reason: str, *, retry_after: float | None, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.retry_after = retry_after


class GraphUnavailable(GraphError):
    """5xx, timeout, connection refused, truncated JSON, an HTML error page: try again later."""

    def __init__(self, reason: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.retry_after = retry_after


class PagingCut(GraphError):
    """A collection read stopped before Graph said it ended: a nextLink that loops, leaves the collection, or
    goes on past the page cap. The pages before it were read; `reason` says where and why."""

    def __init__(self, reason: str, *, pages: int, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.pages = pages


class GraphDenied(GraphError):
    """401/403: `permission` names what the app registration lacks; `licence`/`role` when that is the cause."""

    def __init__(self, reason: str, *, permission: str | None = None, licence: bool = False,
                 role: bool = False, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.permission = permission
        self.licence = licence
        self.role = role


class GraphNotFound(GraphError):
    """404: the object (or, in some clouds, the whole API) does not exist."""


class GraphRejected(GraphError):
    """Another 4xx (400, 409, 412…): the request itself was wrong; retrying will not help."""


def failure_fields(error: BaseException) -> dict[str, int | str | None]:
    """What the journal keeps of a failed request: Graph's status and request id (none when nothing was sent)."""
    if isinstance(error, GraphError):
        return {"status": error.status, "request_id": error.request_id}
    return {"status": None, "request_id": None}


__all__ = [
    "GraphDenied",
    "GraphError",
    "GraphNotFound",
    "GraphRejected",
    "GraphThrottled",
    "GraphUnavailable",
    "PagingCut",
    "SignInRequired",
    "failure_fields",
]
