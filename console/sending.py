"""One write to Graph, done deliberately: the order every containment and eradication action keeps.

The object is read before; a dry run is journaled as a preview and sent nowhere; otherwise the request is
journaled as "requested" BEFORE it goes out (a cancel or a crash in between cannot leave an unrecorded change),
sent once (the gateway never retries a write) and its outcome journaled with the status, the request id and
the object as it reads after. Graph's errors (and a missing sign-in) are journaled as failures and said in one
line; nothing else is caught here: a journal that refuses the write stops the action where it stands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from .graph.errors import GraphError, SignInRequired
from .journal import Draft, kinds

if TYPE_CHECKING:
    from .session import WarRoom

Read = Callable[[], Awaitable[Any]]


class Sent(NamedTuple):
    """What happened: ok | failed | dry-run | refused, the line to show, the outcome's entry and its body."""

    result: str
    message: str
    entry_seq: int | None
    body: dict[str, Any]


async def send_once(warroom: WarRoom, body: dict[str, Any], *, incident: str | None, title: str, target: str,
                    dry_run: bool, read_before: Read | None, send: Callable[[], Awaitable[Any]],
                    read_after: Callable[[Any], Awaitable[Any]], explain: Callable[[Exception], str],
                    refuse: Callable[[Any], str | None] | None = None, on_ok: dict[str, Any] | None = None,
                    also: Callable[[], list[Draft]] | None = None) -> Sent:
    """Run `send` at most once around `body` (action, target, dry_run, request, reversal), journaling each step.

    `read_before` is None when there is no tenant to read; `refuse` may stop the action after the read with a
    reason (journaled as refused); `on_ok` adds fields to a success, `also` adds drafts to its transaction.
    """
    async def record(result: str, message: str, **fields: Any) -> Sent:
        body.update(result=result, **fields)
        entry = await warroom.record(kinds.ACTION, body, incident=incident)
        return Sent(result, message, entry.seq, body)

    if read_before is not None:
        try:
            body["before"] = await read_before()
        except (GraphError, SignInRequired) as error:
            message = explain(error)
            return await record("failed", message, status=getattr(error, "status", None),
                                request_id=getattr(error, "request_id", None), error=message, before=None)
        refused = refuse(body["before"]) if refuse is not None else None
        if refused:
            return await record("refused", refused, error=refused)
    if dry_run:
        why = "dry run" if warroom.can_execute_actions else f"{warroom.mode} mode: actions are disabled"
        return await record("dry-run", f"Not sent ({why}). The request was journaled as a preview.")
    requested = await warroom.record(kinds.ACTION, {**body, "result": "requested"}, incident=incident)
    body["requested_seq"] = requested.seq      # the outcome names its request: how a restart knows it settled
    try:
        response = await send()
    except (GraphError, SignInRequired) as error:
        message = explain(error)
        return await record("failed", message, status=getattr(error, "status", None),
                            request_id=getattr(error, "request_id", None), error=message)
    body.update(result="ok", status=response.status, request_id=response.request_id, **(on_ok or {}))
    try:
        body["after"] = await read_after(response)
    except (GraphError, SignInRequired) as error:
        body["after"] = {"unreadable": explain(error)}
    entries = await warroom.record_many([Draft(kinds.ACTION, body, incident), *(also() if also else [])])
    message = f"{title}: done for {target} (HTTP {response.status}, request id {response.request_id})."
    return Sent("ok", message, entries[0].seq, body)
