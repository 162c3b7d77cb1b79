"""Signing in to Graph from a jump host: which credential, the device-code prompt, and a silent next start.

Everything here hands the SDK one async credential (`Session`). Interactive sign-in happens only in
`warroom login` or when the UI asks for it; background polls use `disable_automatic_authentication`, so an
expired session raises `AuthenticationRequiredError` (a `SignInRequired` for the UI) instead of a device
flow starting silently inside a poll. The sync `DeviceCodeCredential` always runs off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import platformdirs

from ..clouds import Endpoint
from ..config import APP_NAME, Config
from .errors import SignInRequired

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

TOKEN_ENV = "WARROOM_GRAPH_TOKEN"
LOCAL_DUMMY_TOKEN = "warroom-simulated-tenant"   # what we send to 127.0.0.1 when no token is set
CACHE_NAME = "warroom"
REFRESH_MARGIN_S = 300                            # renew a cached token this long before it expires
CHAIN_RETRY_S = 60                                # after the whole auto chain failed, ask it again this late

# (verification_uri, user_code, expires_on): the CLI prints it, the UI shows it in a dialog.
DevicePrompt = Callable[[str, str, datetime], None]
# (config, endpoint, prompt) -> the user signed in: `sign_in` below, or a stand-in in tests.
SignInFlow = Callable[[Config, Endpoint, DevicePrompt], Awaitable[str]]


def _client_authentication_error() -> type[Exception]:
    """azure-identity's failure class, imported late: `warroom note` and friends never load azure.core."""
    from azure.core.exceptions import ClientAuthenticationError

    return ClientAuthenticationError


class AsyncCredential(Protocol):
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken: ...
    async def close(self) -> None: ...


def record_path() -> Path:
    """Where the AuthenticationRecord lives (no secrets: user, tenant, authority, client id)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "auth-record.json"


def save_record(serialized: str, path: Path | None = None) -> Path:
    """Write the record 0600 from the start: never world-readable, not even for a moment."""
    from ..files import private_folder, private_output

    path = path or record_path()
    private_folder(path.parent)
    with private_output(path) as handle:
        handle.write(serialized)
    return path


def load_record(path: Path | None = None) -> Any | None:
    path = path or record_path()
    if not path.exists():
        return None
    from azure.identity import AuthenticationRecord

    try:
        return AuthenticationRecord.deserialize(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, json.JSONDecodeError):
        return None


def forget_record(path: Path | None = None) -> bool:
    path = path or record_path()
    if path.exists():
        path.unlink()
        return True
    return False


class StaticToken:
    """A bearer token from WARROOM_GRAPH_TOKEN (or the dummy one for the simulated tenant)."""

    kind = "token"

    def __init__(self, token: str, *, lifetime_s: float = 3600) -> None:
        self._token = token
        self._lifetime = lifetime_s

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time() + self._lifetime))

    async def close(self) -> None:
        return None


class ThreadedCredential:
    """Runs a sync azure-identity credential (device code has no async twin) in a worker thread."""

    def __init__(self, sync_credential: Any, kind: str) -> None:
        self.sync = sync_credential
        self.kind = kind

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return await asyncio.to_thread(self.sync.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)


class FirstThatWorks:
    """A jump-host chain: try each credential in order and stick with the first that gives a token."""

    kind = "auto"

    def __init__(self, candidates: list[tuple[str, AsyncCredential]]) -> None:
        self.candidates = candidates
        self.chosen: str | None = None
        self._chosen_credential: AsyncCredential | None = None
        self._failed: tuple[float, str] | None = None   # when the whole chain last failed, and why

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self._chosen_credential is not None:
            return await self._chosen_credential.get_token(*scopes, **kwargs)
        if self._failed and time.monotonic() - self._failed[0] < CHAIN_RETRY_S:
            raise SignInRequired(self._failed[1])       # six pollers must not probe IMDS and az six times
        reasons = []
        for name, credential in self.candidates:
            try:
                token = await credential.get_token(*scopes, **kwargs)
            except _client_authentication_error() as error:   # unavailable, or a saved session that expired
                reasons.append(f"{name}: {_first_line(error)}")
                continue
            self.chosen, self._chosen_credential = name, credential
            return token
        message = "no credential worked (" + "; ".join(reasons) + "); run `warroom login`"
        self._failed = (time.monotonic(), message)
        raise SignInRequired(message)

    async def close(self) -> None:
        for _, credential in self.candidates:
            await credential.close()


class Session:
    """The one credential the SDK sees: caches the token and can be told to drop it after a 401."""

    def __init__(self, inner: AsyncCredential, description: str) -> None:
        self.inner = inner
        self.description = description
        self._cached: dict[tuple[str, ...], AccessToken] = {}
        self._lock = asyncio.Lock()

    async def get_token(self, *scopes: str, claims: str | None = None, **kwargs: Any) -> AccessToken:
        key = tuple(scopes)
        async with self._lock:
            cached = self._cached.get(key)
            if cached and not claims and cached.expires_on - REFRESH_MARGIN_S > time.time():
                return cached
            try:
                if claims:
                    kwargs["claims"] = claims
                token = await self.inner.get_token(*scopes, **kwargs)
            except SignInRequired:
                raise
            except _client_authentication_error() as error:
                raise SignInRequired(f"{self.description}: {_first_line(error)}") from error
            self._cached[key] = token
            return token

    def invalidate(self) -> None:
        """Graph said 401: the next request asks the credential for a new token."""
        self._cached.clear()

    @property
    def who(self) -> str:
        chosen = getattr(self.inner, "chosen", None)
        return f"{self.description} ({chosen})" if chosen else self.description

    async def close(self) -> None:
        await self.inner.close()


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    return text.strip().splitlines()[0][:200] if text.strip() else type(error).__name__


def _cache_options(config: Config) -> Any:
    from azure.identity import TokenCachePersistenceOptions

    return TokenCachePersistenceOptions(
        name=CACHE_NAME, allow_unencrypted_storage=bool(config.get("graph.allow_unencrypted_token_cache"))
    )


def device_code_credential(
    config: Config, endpoint: Endpoint, *, prompt: DevicePrompt | None, interactive: bool
) -> Any:
    """The sync DeviceCodeCredential with the persistent cache and the saved record (if any)."""
    from azure.identity import DeviceCodeCredential

    kwargs: dict[str, Any] = {
        "authority": endpoint.authority,
        "cache_persistence_options": _cache_options(config),
        "disable_automatic_authentication": not interactive,
    }
    if config.get("graph.client_id"):
        kwargs["client_id"] = config["graph.client_id"]
    if config.get("graph.tenant_id"):
        kwargs["tenant_id"] = config["graph.tenant_id"]
    record = load_record()
    if record is not None:
        kwargs["authentication_record"] = record
    if prompt is not None:
        kwargs["prompt_callback"] = prompt
    return DeviceCodeCredential(**kwargs)


def _environment_has_secret(environ: dict[str, str]) -> bool:
    return bool(environ.get("AZURE_CLIENT_ID") and (
        environ.get("AZURE_CLIENT_SECRET") or environ.get("AZURE_CLIENT_CERTIFICATE_PATH")
        or environ.get("AZURE_FEDERATED_TOKEN_FILE")))


def build_credential(
    config: Config,
    endpoint: Endpoint,
    *,
    interactive: bool = False,
    prompt: DevicePrompt | None = None,
    environ: dict[str, str] | None = None,
) -> Session:
    """The credential `graph.credential` asks for; `auto` picks what a jump host is likely to have.

    auto: WARROOM_GRAPH_TOKEN, else a dummy token for a local Graph (the simulated tenant), else in order
    environment (service principal), the saved device-code session, Azure CLI, managed identity.
    """
    environ = dict(os.environ if environ is None else environ)
    choice = config.get("graph.credential") or "auto"
    authority = {"authority": endpoint.authority}
    token = environ.get(TOKEN_ENV, "").strip()

    if choice == "token" or (choice == "auto" and (token or endpoint.is_local)):
        if not token and not endpoint.is_local:
            raise SignInRequired(f"graph.credential is 'token' but {TOKEN_ENV} is not set")
        return Session(StaticToken(token or LOCAL_DUMMY_TOKEN), "token" if token else "simulated-tenant token")
    if choice == "device-code":
        inner = ThreadedCredential(
            device_code_credential(config, endpoint, prompt=prompt, interactive=interactive), "device-code"
        )
        return Session(inner, "device code")

    from azure.identity.aio import (
        AzureCliCredential,
        EnvironmentCredential,
        ManagedIdentityCredential,
    )

    tenant = {"tenant_id": config["graph.tenant_id"]} if config.get("graph.tenant_id") else {}
    if choice == "environment":
        return Session(EnvironmentCredential(**authority), "environment")
    if choice == "azure-cli":
        return Session(AzureCliCredential(**tenant), "azure-cli")
    if choice == "managed-identity":
        client = {"client_id": config["graph.client_id"]} if config.get("graph.client_id") else {}
        return Session(ManagedIdentityCredential(**client), "managed-identity")

    candidates: list[tuple[str, AsyncCredential]] = []
    if _environment_has_secret(environ):
        candidates.append(("environment", EnvironmentCredential(**authority)))
    if interactive or record_path().exists():
        candidates.append(("device-code", ThreadedCredential(
            device_code_credential(config, endpoint, prompt=prompt, interactive=interactive), "device-code")))
    if shutil.which("az", path=environ.get("PATH")):
        candidates.append(("azure-cli", AzureCliCredential(**tenant)))
    candidates.append(("managed-identity", ManagedIdentityCredential()))
    return Session(FirstThatWorks(candidates), "auto")


async def sign_in(config: Config, endpoint: Endpoint, prompt: DevicePrompt) -> str:
    """Device-code sign-in (`warroom login`): authenticate off the loop, save the record, return the user."""
    credential = device_code_credential(config, endpoint, prompt=prompt, interactive=True)
    try:
        record = await asyncio.to_thread(credential.authenticate, scopes=endpoint.scopes, enable_cae=True)
    finally:
        await asyncio.to_thread(credential.close)
    save_record(record.serialize())
    return record.username
