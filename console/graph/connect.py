"""From configuration to a working gateway: what the console, the commands and the drills all call."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any

from ..clouds import Endpoint, resolve
from ..config import Config
from .auth import DevicePrompt, build_credential

if TYPE_CHECKING:
    from .gateway import GraphGateway


def endpoint_for(config: Config, cloud: str | None = None) -> Endpoint:
    """graph.cloud (or `--cloud`) and graph.url (or `--graph-url`) as one endpoint."""
    return resolve(cloud or config.get("graph.cloud") or "global", config.get("graph.url"))


async def connect(config: Config, *, cloud: str | None = None, interactive: bool = False,
                  prompt: DevicePrompt | None = None, **kwargs: Any) -> GraphGateway:
    """A gateway with the configured credential. Background use: `interactive=False` (never prompts)."""
    endpoint = endpoint_for(config, cloud)

    def build() -> GraphGateway:
        # azure-identity, kiota and msgraph take ~0.3 s to import: all of it happens off the event loop.
        from .gateway import warmed_up_gateway

        session = build_credential(config, endpoint, interactive=interactive, prompt=prompt)
        return warmed_up_gateway(endpoint, session, **kwargs)

    return await asyncio.to_thread(build)


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload (unverified: for display only): who, which tenant, which roles or scopes."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}
