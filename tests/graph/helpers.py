"""Shared pieces for the Graph tests: a gateway on the simulated tenant, objects added to it, tokens."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken
from warroom.console.clouds import resolve
from warroom.console.graph.auth import Session
from warroom.console.graph.gateway import GraphGateway, open_gateway


class NumberedTokens:
    """A credential that hands out token-1, token-2, …: shows when a new token was asked for."""

    def __init__(self) -> None:
        self.issued = 0

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.issued += 1
        return AccessToken(f"token-{self.issued}", int(time.time()) + 3600)

    async def close(self) -> None:
        return None


async def gateway_for(tenant: Any, credential: Any | None = None, **kwargs: Any) -> GraphGateway:
    """The real gateway (msgraph-sdk over HTTP) pointed at the tenant."""
    return await open_gateway(resolve("global", tenant.base_url), Session(credential or NumberedTokens(), "test"),
                              **kwargs)


def add_objects(tenant: Any, collection: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put objects into the tenant now (as a scenario event would)."""
    with tenant._lock:
        at = tenant.state.clock
        return [tenant.state.add(collection, item, at) for item in items]


def update_object(tenant: Any, collection: str, key: str, fields: dict[str, Any]) -> None:
    with tenant._lock:
        tenant.state.update(collection, key, fields, [], tenant.state.clock + 1)


def alerts(count: int, prefix: str = "da", **fields: Any) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{index:06d}", "title": f"Alert {index}", **fields} for index in range(count)]


def requests_to(tenant: Any, path_suffix: str, method: str = "GET") -> list[Any]:
    return [r for r in tenant.requests if r.path.endswith(path_suffix) and r.method == method]
