"""Which Graph v1.0 path reads or changes which collection, with Graph's JSON shapes and errors.

Segment names match case-insensitively, as Graph's do. Paths we do not serve answer 400
"Resource not found for the segment", like Graph.
"""

from __future__ import annotations

import json
from typing import Any

from .odata import compile_filter, order, select
from .state import NotFound, TenantState
from .wire import (
    DEFAULT_PAGE,
    MAX_PAGE,
    MAX_PAGE_BY_COLLECTION,
    USER_DEFAULT_SELECT,
    Answer,
    ErrorAnswer,
    RequestRecord,
    dump,
    next_link,
    offset_of,
)

# path prefix (lowercase segments) -> (collection, @odata.context name)
LISTS = {
    ("admin", "serviceannouncement", "healthoverviews"): ("services", "admin/serviceAnnouncement/healthOverviews"),
    ("admin", "serviceannouncement", "issues"): ("issues", "admin/serviceAnnouncement/issues"),
    ("admin", "serviceannouncement", "messages"): ("messages", "admin/serviceAnnouncement/messages"),
    ("security", "alerts_v2"): ("alerts", "security/alerts_v2"),
    ("security", "incidents"): ("incidents", "security/incidents"),
    ("identityprotection", "riskyusers"): ("riskyUsers", "identityProtection/riskyUsers"),
    ("auditlogs", "signins"): ("signIns", "auditLogs/signIns"),
    ("auditlogs", "directoryaudits"): ("directoryAudits", "auditLogs/directoryAudits"),
    ("identityprotection", "riskdetections"): ("riskDetections", "identityProtection/riskDetections"),
    ("users",): ("users", "users"),
    ("serviceprincipals",): ("servicePrincipals", "servicePrincipals"),
    ("oauth2permissiongrants",): ("oauth2PermissionGrants", "oauth2PermissionGrants"),
    ("groups",): ("groups", "groups"),
    ("directory", "deleteditems"): ("deletedItems", "directory/deletedItems"),
    ("security", "runhuntingquery"): ("hunting", "microsoft.graph.security.huntingQueryResults"),
}


def route(base_url: str, state: TenantState, record: RequestRecord, relative: str) -> Answer:
    segments = [s for s in relative.split("/") if s]
    lowered = tuple(s.lower() for s in segments)
    method = record.method
    for prefix, (collection, context) in LISTS.items():
        if lowered[: len(prefix)] != prefix:
            continue
        rest, rest_lower = segments[len(prefix):], lowered[len(prefix):]
        try:
            return _dispatch(base_url, state, record, method, collection, context, rest, rest_lower)
        except NotFound as missing:
            raise _not_found(collection, str(missing.args[0])) from None
    known = {key[: n + 1] for key in LISTS for n in range(len(key))}
    depth = next((n for n in range(len(lowered)) if lowered[: n + 1] not in known), 0)
    first_unknown = segments[depth] if segments else ""
    raise ErrorAnswer(400, f"Resource not found for the segment '{first_unknown}'.", "BadRequest")


def _not_found(collection: str, key: str) -> ErrorAnswer:
    if collection in ("users", "riskyUsers"):
        return ErrorAnswer(404, f"Resource '{key}' does not exist or one of its queried reference-property objects "
                          "are not present.", "Request_ResourceNotFound")
    return ErrorAnswer(404, f"The requested resource '{key}' was not found.", "NotFound")


def _method(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise ErrorAnswer(405, f"The HTTP method '{method}' is not allowed for this resource.", "BadRequest")


def _dispatch(base_url: str, state: TenantState, record: RequestRecord, method: str, collection: str,
              context: str, rest: list[str], rest_lower: tuple[str, ...]) -> Answer:
    try:
        return _dispatch_one(base_url, state, record, method, collection, context, rest, rest_lower)
    except ValueError as refused:     # the state refused the change, as Graph does: 400 with its reason
        raise ErrorAnswer(400, str(refused), "BadRequest") from None


def _dispatch_one(base_url: str, state: TenantState, record: RequestRecord, method: str,
                  collection: str, context: str, rest: list[str], rest_lower: tuple[str, ...]) -> Answer:
    if collection == "hunting":
        _method(method, "POST")
        if rest:
            raise ErrorAnswer(400, f"Resource not found for the segment '{rest[0]}'.", "BadRequest")
        return _hunt(base_url, state, record)
    if not rest:
        _method(method, "GET")
        return _list(base_url, state, record, collection, context)
    if collection == "deletedItems":
        return _deleted_items(base_url, state, record, method, rest, rest_lower)
    if collection == "users" and len(rest) >= 2 and rest_lower[1] in ("mailfolders", "mailboxsettings",
                                                                       "authentication"):
        return _user_part(base_url, state, record, method, rest, rest_lower)
    if collection == "riskyUsers" and len(rest) == 2 and rest_lower[1] == "history":
        _method(method, "GET")
        risky = state.find("riskyUsers", rest[0])
        items = [dict(h) for h in risky.get("_history", [])]
        return _list(base_url, state, record, collection, f"identityProtection/riskyUsers('{risky['id']}')/history",
                     items=items)
    if collection == "incidents" and len(rest) == 2 and rest_lower[1] == "comments":
        _method(method, "POST")
        body = _body_object(record)
        text = body.get("comment")
        if body.get("@odata.type") != "microsoft.graph.security.alertComment" or not isinstance(text, str) \
                or not text.strip():
            raise ErrorAnswer(400, "The request body must hold @odata.type microsoft.graph.security.alertComment "
                             "and a non-empty comment.")
        comments = state.comment_incident(rest[0], text)
        return _json(200, {"@odata.context": f"{base_url}/$metadata#Collection(microsoft.graph.security.alertComment)",
                           "value": comments})
    if collection == "oauth2PermissionGrants" and len(rest) == 1 and method == "DELETE":
        state.delete_grant(rest[0])
        return Answer(204)
    if collection == "riskyUsers" and rest_lower[0] in ("confirmcompromised", "dismiss") and len(rest) == 1:
        _method(method, "POST")
        ids = record.body.get("userIds") if isinstance(record.body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise ErrorAnswer(400, "The request body must hold userIds: a non-empty list of user ids.")
        state.set_risk([str(i) for i in ids], compromised=rest_lower[0] == "confirmcompromised")
        return Answer(204)
    key = rest[0]
    if len(rest) == 1:
        if method == "GET":
            item = state.find(collection, key)
            fields = record.query.get("$select") or (USER_DEFAULT_SELECT if collection == "users" else "")
            item = select(item, fields) if fields else _public(item)
            item = _expand(state, collection, item, record.query.get("$expand", ""))
            return _json(200, {"@odata.context": f"{base_url}/$metadata#{context}/$entity", **item})
        if method == "PATCH" and collection in ("users", "alerts", "incidents"):
            changes = _body_object(record)
            if collection == "users":
                state.patch_user(key, changes)
                return Answer(204)
            try:
                item = state.patch_security(collection, key, changes)
            except ValueError as error:
                raise ErrorAnswer(400, str(error)) from None
            return _json(200, {"@odata.context": f"{base_url}/$metadata#{context}/$entity", **item})
        _method(method, "GET")
    if len(rest) == 2 and collection == "users" and rest_lower[1] == "revokesigninsessions":
        _method(method, "POST")
        state.revoke_sessions(key)
        return _json(200, {"@odata.context": f"{base_url}/$metadata#Edm.Boolean", "value": True})
    if len(rest) == 2 and collection == "users" and rest_lower[1] == "sendmail":
        _method(method, "POST")
        message = _body_object(record).get("message")
        if not isinstance(message, dict):
            raise ErrorAnswer(400, "Empty Payload. JSON content expected.", "ErrorInvalidRequest")
        try:
            state.send_mail(key, message)
        except ValueError as error:
            raise ErrorAnswer(400, str(error), "ErrorInvalidRecipients") from None
        return Answer(202)
    if len(rest) == 2 and collection == "issues" and rest_lower[1] in ("incidentreport()", "incidentreport"):
        _method(method, "GET")
        issue = state.find("issues", key)
        return Answer(200, _report(issue).encode("utf-8"), "application/octet-stream")
    raise ErrorAnswer(400, f"Resource not found for the segment '{rest[-1]}'.", "BadRequest")


def _user_part(base_url: str, state: TenantState, record: RequestRecord, method: str, rest: list[str],
               rest_lower: tuple[str, ...]) -> Answer:
    """users/{id}/mailFolders/inbox/messageRules[/{id}], /mailboxSettings, /authentication/methods and
    /authentication/{type}Methods/{id}."""
    user_key, tail = rest[0], rest_lower[1:]
    user = state.find("users", user_key)
    if tail == ("mailboxsettings",):
        _method(method, "GET")
        return _json(200, {"@odata.context": f"{base_url}/$metadata#users('{user['id']}')/mailboxSettings",
                           **user.get("mailboxSettings", {})})
    if len(tail) == 2 and tail[0] == "mailfolders":
        _method(method, "GET")
        from .objects import WELL_KNOWN_FOLDERS, folder_id

        for name, display in WELL_KNOWN_FOLDERS.items():
            if rest[2].lower() == name or rest[2] == folder_id(user["id"], name):
                folder = {"id": folder_id(user["id"], name), "displayName": display, "parentFolderId": None,
                          "childFolderCount": 0, "unreadItemCount": 0, "totalItemCount": 0, "isHidden": False}
                fields = record.query.get("$select")
                return _json(200, {"@odata.context": f"{base_url}/$metadata#users('{user['id']}')/mailFolders/$entity",
                                   **(select(folder, fields) if fields else folder)})
        raise ErrorAnswer(404, "The specified object was not found in the store.", "ErrorItemNotFound")
    if tail[:3] == ("mailfolders", "inbox", "messagerules"):
        context = f"users('{user['id']}')/mailFolders('inbox')/messageRules"
        if len(tail) == 3:
            if method == "POST":
                rule = state.add_rule(user_key, _body_object(record))
                return _json(201, {"@odata.context": f"{base_url}/$metadata#{context}/$entity", **_public(rule)})
            _method(method, "GET")
            return _list(base_url, state, record, "messageRules", context,
                         items=state.owned("messageRules", user_key))
        if len(tail) == 4:
            if method == "DELETE":
                state.delete_rule(user_key, rest[4])
                return Answer(204)
            _method(method, "GET")
            rule = state.find_owned("messageRules", user_key, rest[4])
            return _json(200, {"@odata.context": f"{base_url}/$metadata#{context}/$entity", **_public(rule)})
    if tail == ("authentication", "methods"):
        _method(method, "GET")
        return _list(base_url, state, record, "authenticationMethods",
                     f"users('{user['id']}')/authentication/methods",
                     items=state.owned("authenticationMethods", user_key))
    if len(tail) == 3 and tail[0] == "authentication" and tail[1].endswith("methods"):
        if method == "DELETE":
            state.delete_auth_method(user_key, rest[2], rest[3])
            return Answer(204)
        _method(method, "GET")
        found = state.find_owned("authenticationMethods", user_key, rest[3])
        return _json(200, {"@odata.context": f"{base_url}/$metadata#users('{user['id']}')/authentication/{rest[2]}"
                                             "/$entity", **_public(found)})
    raise ErrorAnswer(400, f"Resource not found for the segment '{rest[-1]}'.", "BadRequest")


def _deleted_items(base_url: str, state: TenantState, record: RequestRecord, method: str,
                   rest: list[str], rest_lower: tuple[str, ...]) -> Answer:
    """directory/deletedItems/microsoft.graph.user|group (a cast: that type only) and {id}/restore."""
    if len(rest) == 1 and rest_lower[0] in ("microsoft.graph.user", "microsoft.graph.group"):
        _method(method, "GET")
        wanted = "#" + rest_lower[0]
        items = [i for i in state.items("deletedItems") if str(i.get("@odata.type", "")).lower() == wanted]
        return _list(base_url, state, record, "deletedItems", f"directory/deletedItems/{rest[0]}", items=items)
    if len(rest) == 2 and rest_lower[1] == "restore":
        _method(method, "POST")
        restored = state.restore_deleted(rest[0])
        return _json(200, {"@odata.context": f"{base_url}/$metadata#directoryObjects/$entity",
                           **_public(restored)})
    if len(rest) == 1:
        _method(method, "GET")
        return _json(200, {"@odata.context": f"{base_url}/$metadata#directoryObjects/$entity",
                           **_public(state.find("deletedItems", rest[0]))})
    raise ErrorAnswer(400, f"Resource not found for the segment '{rest[-1]}'.", "BadRequest")


def _hunt(base_url: str, state: TenantState, record: RequestRecord) -> Answer:
    """POST security/runHuntingQuery {"Query": KQL}: the scenario's rows, filtered by the KQL the sim knows."""
    from .kql import KqlError, run_query

    body = _body_object(record)
    query = body.get("Query", body.get("query"))
    if not isinstance(query, str) or not query.strip():
        raise ErrorAnswer(400, "The request body must hold Query: the KQL text.")
    try:
        schema, rows = run_query(query, state.items("hunting"))
    except KqlError as error:
        raise ErrorAnswer(400, f"Query could not be parsed: {error}", "BadRequest") from None
    return _json(200, {"@odata.context": f"{base_url}/$metadata#microsoft.graph.security.huntingQueryResults",
                       "schema": schema, "results": rows})


def _body_object(record: RequestRecord) -> dict[str, Any]:
    if not isinstance(record.body, dict):
        raise ErrorAnswer(400, "Unable to read JSON request payload. Please ensure Content-Type header is set "
                         "and payload is of valid JSON format.")
    return record.body


def _json(status: int, value: Any) -> Answer:
    return Answer(status, dump(value))


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """Drop the scenario's private keys (an issue's prepared incident report)."""
    return {k: v for k, v in item.items() if not k.startswith("_")} if any(k.startswith("_") for k in item) else item


def _expansions(expand: str) -> dict[str, str]:
    """`alerts($select=id,title),issues` -> {"alerts": "id,title", "issues": ""}: each navigation property, lower
    case, with the `$select` nested in its parentheses (what Graph honours there; other nested options are ignored)."""
    wanted: dict[str, str] = {}
    depth, start = 0, 0
    for index, char in enumerate(expand + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            part = expand[start:index].strip()
            start = index + 1
            name, _, options = part.partition("(")
            fields = ""
            for option in options.rstrip(")").split(";"):
                key, _, value = option.partition("=")
                if key.strip().lower() == "$select":
                    fields = value
            if name.strip():
                wanted[name.strip().lower()] = fields
    return wanted


def _expand(state: TenantState, collection: str, item: dict[str, Any], expand: str) -> dict[str, Any]:
    wanted = _expansions(expand)
    if collection == "services" and "issues" in wanted:
        issues = [_public(i) for i in state.items("issues") if i.get("service") == item.get("service")]
        return {**item, "issues": [select(i, wanted["issues"]) for i in issues] if wanted["issues"] else issues}
    if collection == "incidents" and "alerts" in wanted:
        alerts = [a for a in state.items("alerts") if a.get("incidentId") == item.get("id")]
        return {**item, "alerts": [select(a, wanted["alerts"]) for a in alerts] if wanted["alerts"] else alerts}
    if wanted and collection not in ("services", "incidents"):
        raise ErrorAnswer(400, f"Parsing OData Select and Expand failed: Could not find a property named "
                         f"'{expand}' on type '{collection}'.")
    return item


def _list(base_url: str, state: TenantState, record: RequestRecord, collection: str,
          context: str, *, items: list[dict[str, Any]] | None = None) -> Answer:
    query = {k.lower(): v for k, v in record.query.items()}
    cursor = (collection, query.get("$filter", ""), query.get("$orderby", ""))
    of_state = items is None
    cached = state.cursors.get(cursor) if query.get("$skiptoken") and of_state else None
    if cached is not None:
        items = cached
    else:
        items = state.items(collection) if items is None else items
        if query.get("$filter"):
            predicate = compile_filter(query["$filter"])
            items = [i for i in items if predicate(i)]
        if query.get("$orderby"):
            items = order(items, query["$orderby"])
        if of_state and (cursor[1] or cursor[2]):
            if len(state.cursors) >= 16:
                state.cursors.pop(next(iter(state.cursors)))
            state.cursors[cursor] = items
    limit = MAX_PAGE_BY_COLLECTION.get(collection, MAX_PAGE)
    try:
        top = int(query.get("$top") or min(DEFAULT_PAGE, limit))
    except ValueError:
        raise ErrorAnswer(400, f"Invalid value for $top: {query['$top']!r}.") from None
    if top < 1 or top > limit:
        raise ErrorAnswer(400, f"Invalid page size specified: '{top}'. Must be between 1 and {limit} inclusive.")
    offset = offset_of(query["$skiptoken"]) if query.get("$skiptoken") else 0
    page = items[offset: offset + top]
    fields = query.get("$select") or (USER_DEFAULT_SELECT if collection == "users" else "")
    page = [select(i, fields) if fields else _public(i) for i in page]
    if query.get("$expand"):
        page = [_expand(state, collection, i, query["$expand"]) for i in page]
    body: dict[str, Any] = {"@odata.context": f"{base_url}/$metadata#{context}"}
    if query.get("$count", "").lower() == "true":
        body["@odata.count"] = len(items)
    if offset + top < len(items):
        body["@odata.nextLink"] = next_link(base_url, record, offset + top)
    body["value"] = page
    return _json(200, body)


def _report(issue: dict[str, Any]) -> str:
    if issue.get("_incidentReport"):
        return str(issue["_incidentReport"])
    lines = [f"Post-incident report for {issue.get('id')}", "", f"Title: {issue.get('title')}",
             f"Service: {issue.get('service')}", f"Status: {issue.get('status')}",
             f"Start: {issue.get('startDateTime')}", f"End: {issue.get('endDateTime') or 'ongoing'}", "",
             json.dumps(issue.get("impactDescription", ""), ensure_ascii=False)]
    return "\n".join(lines) + "\n"
