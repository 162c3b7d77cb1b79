"""A plain HTTP client for the simulated tenant's own tests (the Graph client is tested elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


class Graph:
    """GET/POST/PATCH against a tenant's base URL with a bearer token, nothing more."""

    def __init__(self, base_url: str, token: str = "test-token") -> None:
        self.base_url = base_url
        self.client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(self.url(path), **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(self.url(path), **kwargs)

    def patch(self, path: str, **kwargs) -> httpx.Response:
        return self.client.patch(self.url(path), **kwargs)

    def all_pages(self, path: str, **kwargs) -> list[dict]:
        """Follow @odata.nextLink to the end, as a poller would."""
        items, url = [], self.url(path)
        while url:
            page = self.client.get(url, **kwargs)
            page.raise_for_status()
            body = page.json()
            items.extend(body["value"])
            url, kwargs = body.get("@odata.nextLink"), {}
        return items


@pytest.fixture
def graph(simulated_tenant) -> Iterator[Graph]:
    client = Graph(simulated_tenant.base_url)
    yield client
    client.client.close()


@pytest.fixture
def graph_for():
    """graph_for(tenant) -> Graph for any tenant made with make_tenant."""
    clients: list[Graph] = []

    def make(tenant, token: str = "test-token") -> Graph:
        clients.append(Graph(tenant.base_url, token))
        return clients[-1]

    yield make
    for client in clients:
        client.client.close()
