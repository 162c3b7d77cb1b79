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
    from .graph.gateway import GraphResponse
    from .session import WarRoom


class Wire(NamedTuple):
    """The tenant's side of one write, bound to a gateway: read the object, send the request once, read it after.
    No wire (no tenant to talk to) makes the action a dry run."""

    read: Callable[[], Awaitable[Any]]
    send: Callable[[], Awaitable[GraphResponse]]
    read_after: Callable[[GraphResponse], Awaitable[Any]]


class Sent(NamedTuple):
    """What happened: ok | failed | dry-run | refused, the line to show, the outcome's entry and its body."""

    result: str
    message: str
    entry_seq: int | None
    body: dict[str, Any]


async def send_once(warroom: WarRoom, body: dict[str, Any], *, incident: str | None, title: str, target: str,
                    dry_run: bool, wire: Wire | None, explain: Callable[[Exception], str],
                    refuse: Callable[[Any], str | None] | None = None, on_ok: dict[str, Any] | None = None,
                    also: Callable[[], list[Draft]] | None = None) -> Sent:
    """Send `wire`'s request at most once around `body` (action, target, dry_run, request, reversal), journaling
    each step.

    `refuse` may stop the action after the read with a reason (journaled as refused); `on_ok` adds fields to a
    success, `also` adds drafts to its transaction.
    """
    async def record(result: str, message: str, **fields: Any) -> Sent:
        body.update(result=result, **fields)
        entry = await warroom.record(kinds.ACTION, body, incident=incident)
        return Sent(result, message, entry.seq, body)

    async def failed(error: GraphError | SignInRequired, **fields: Any) -> Sent:
        message = explain(error)
        status, request_id = (error.status, error.request_id) if isinstance(error, GraphError) else (None, None)
        return await record("failed", message, status=status, request_id=request_id, error=message, **fields)

    if wire is not None:
        try:
            body["before"] = await wire.read()
        except (GraphError, SignInRequired) as error:
            return await failed(error, before=None)
        refused = refuse(body["before"]) if refuse is not None else None
        if refused:
            return await record("refused", refused, error=refused)
    if dry_run or wire is None:
        why = "dry run" if warroom.can_execute_actions else f"{warroom.mode} mode: actions are disabled"
        return await record("dry-run", f"Not sent ({why}). The request was journaled as a preview.")
    requested = await warroom.record(kinds.ACTION, {**body, "result": "requested"}, incident=incident)
    body["requested_seq"] = requested.seq      # the outcome names its request: how a restart knows it settled
    try:
        response = await wire.send()
    except (GraphError, SignInRequired) as error:
        return await failed(error)
    body.update(result="ok", status=response.status, request_id=response.request_id, **(on_ok or {}))
    try:
        body["after"] = await wire.read_after(response)
    except (GraphError, SignInRequired) as error:
        body["after"] = {"unreadable": explain(error)}
    entries = await warroom.record_many([Draft(kinds.ACTION, body, incident), *(also() if also else [])])
    message = f"{title}: done for {target} (HTTP {response.status}, request id {response.request_id})."
    return Sent("ok", message, entries[0].seq, body)
