"""Clouds, credential selection and the device-code prompt, without any network."""

from __future__ import annotations

import asyncio
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.identity import CredentialUnavailableError
from warroom.console.clouds import resolve
from warroom.console.config import load_config
from warroom.console.graph import auth
from warroom.console.graph.auth import (
    LOCAL_DUMMY_TOKEN,
    FirstThatWorks,
    Session,
    SignInRequired,
    StaticToken,
    ThreadedCredential,
    build_credential,
)
from warroom.console.graph.sources import permission_for
from warroom.console.text import literal


@pytest.mark.parametrize(
    ("cloud", "base", "scope", "authority"),
    [
        ("global", "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/.default",
         "login.microsoftonline.com"),
        ("usgov", "https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/.default", "login.microsoftonline.us"),
        ("usgov-dod", "https://dod-graph.microsoft.us/v1.0", "https://dod-graph.microsoft.us/.default",
         "login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn/.default",
         "login.chinacloudapi.cn"),
    ],
)
def test_each_cloud_has_its_host_scope_and_authority(cloud, base, scope, authority):
    endpoint = resolve(cloud)
    assert endpoint.base_url == base
    assert endpoint.scopes == [scope]
    assert endpoint.authority == authority
    assert endpoint.allowed_hosts == [endpoint.host]


def test_graph_url_override_keeps_the_token_scope_and_allows_exactly_that_host():
    local = resolve("global", "http://127.0.0.1:8123")
    assert local.base_url == "http://127.0.0.1:8123/v1.0"
    assert local.allowed_hosts == ["127.0.0.1"]        # else the SDK silently sends no Authorization header
    assert local.scopes == ["https://graph.microsoft.com/.default"]
    proxy = resolve("usgov", "https://graph-proxy.example.org/v1.0/")
    assert proxy.base_url == "https://graph-proxy.example.org/v1.0"
    assert proxy.scopes == ["https://graph-proxy.example.org/.default"]
    assert proxy.authority == "login.microsoftonline.us"


def test_plain_http_is_refused_for_remote_hosts_and_unknown_clouds_are_named():
    with pytest.raises(ValueError, match="plain http"):
        resolve("global", "http://graph.example.org")
    with pytest.raises(ValueError, match="unknown cloud"):
        resolve("mars")


def _config(**values):
    config = load_config()
    config.values.update(values)
    return config


async def test_local_graph_without_token_uses_the_dummy_token():
    session = build_credential(_config(), resolve("global", "http://127.0.0.1:9"), environ={})
    assert (await session.get_token("s")).token == LOCAL_DUMMY_TOKEN


async def test_environment_token_wins_in_auto_and_token_mode():
    environ = {auth.TOKEN_ENV: "from-env"}
    for choice in ("auto", "token"):
        session = build_credential(_config(**{"graph.credential": choice}), resolve("global"), environ=environ)
        assert (await session.get_token("s")).token == "from-env"


def test_token_mode_without_a_token_names_the_variable():
    with pytest.raises(SignInRequired, match=auth.TOKEN_ENV):
        build_credential(_config(**{"graph.credential": "token"}), resolve("global"), environ={})


@pytest.mark.parametrize(("choice", "kind"), [("environment", "EnvironmentCredential"),
                                              ("azure-cli", "AzureCliCredential"),
                                              ("managed-identity", "ManagedIdentityCredential")])
def test_explicit_choices_pick_that_credential(choice, kind):
    session = build_credential(_config(**{"graph.credential": choice}), resolve("global"), environ={})
    assert type(session.inner).__name__ == kind


def test_auto_chain_on_a_jump_host(tmp_path):
    (tmp_path / "az").write_text("#!/bin/sh\n")
    (tmp_path / "az").chmod(0o755)
    environ = {"AZURE_CLIENT_ID": "x", "AZURE_CLIENT_SECRET": "y", "PATH": str(tmp_path)}
    session = build_credential(_config(), resolve("global"), environ=environ)
    assert [name for name, _ in session.inner.candidates] == ["environment", "azure-cli", "managed-identity"]
    auth.save_record('{"username": "x"}')        # a saved device-code session joins the chain, silently
    session = build_credential(_config(), resolve("global"), environ={"PATH": ""})
    names = [name for name, _ in session.inner.candidates]
    assert names == ["device-code", "managed-identity"]
    device = session.inner.candidates[0][1]
    assert device.sync._disable_automatic_authentication is True


def test_device_code_uses_the_cloud_authority_persistent_cache_and_no_background_prompt():
    config = _config(**{"graph.credential": "device-code", "graph.allow_unencrypted_token_cache": True,
                        "graph.client_id": "11111111-2222-3333-4444-555555555555"})
    background = build_credential(config, resolve("usgov"), environ={})
    sync = background.inner.sync
    assert type(sync).__name__ == "DeviceCodeCredential"
    assert sync._disable_automatic_authentication is True
    assert "login.microsoftonline.us" in sync._authority
    assert sync._cache_options.allow_unencrypted_storage is True
    assert sync._cache_options.name == auth.CACHE_NAME
    interactive = build_credential(config, resolve("usgov"), interactive=True, environ={})
    assert interactive.inner.sync._disable_automatic_authentication is False


def test_record_is_written_0600(tmp_path):
    path = auth.save_record('{"x": 1}', tmp_path / "r.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.forget_record(path) and not Path(path).exists()


class _BlockingDeviceFlow:
    """A stand-in for the sync DeviceCodeCredential: prompts, then blocks like a person typing a code."""

    def __init__(self, prompt):
        self.prompt = prompt
        self.thread = None

    def get_token(self, *scopes, **kwargs):
        self.thread = threading.current_thread()
        self.prompt("https://microsoft.com/devicelogin", "ABCD-EFGH", datetime(2026, 1, 1, tzinfo=UTC))
        time.sleep(0.3)
        return AccessToken("signed-in", int(time.time()) + 3600)

    def close(self):
        pass


async def test_device_flow_runs_off_the_event_loop_and_hands_the_code_to_the_prompt():
    prompts = []
    flow = _BlockingDeviceFlow(lambda uri, code, expires: prompts.append((uri, code)))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    token = await Session(ThreadedCredential(flow, "device-code"), "device code").get_token("scope")
    task.cancel()
    assert token.token == "signed-in"
    assert prompts == [("https://microsoft.com/devicelogin", "ABCD-EFGH")]
    assert flow.thread is not threading.main_thread()
    assert ticks > 5                    # the loop kept running while the flow blocked


class _Unavailable:
    async def get_token(self, *scopes, **kwargs):
        raise CredentialUnavailableError("not here")

    async def close(self):
        pass


async def test_chain_sticks_with_the_first_credential_that_works_and_reports_all_failures():
    chain = FirstThatWorks([("a", _Unavailable()), ("b", StaticToken("b-token"))])
    assert (await chain.get_token("s")).token == "b-token"
    assert chain.chosen == "b"
    failing = _Counting()
    chain = FirstThatWorks([("a", failing)])
    with pytest.raises(SignInRequired, match="a: not here"):
        await chain.get_token("s")
    with pytest.raises(SignInRequired, match="a: not here"):
        await chain.get_token("s")
    assert failing.calls == 1                   # a failed chain is not probed again at once


class _Counting(_Unavailable):
    calls = 0

    async def get_token(self, *scopes, **kwargs):
        self.calls += 1
        return await super().get_token(*scopes, **kwargs)


async def test_session_caches_until_invalidated():
    class Counting(StaticToken):
        calls = 0

        async def get_token(self, *scopes, **kwargs):
            Counting.calls += 1
            return AccessToken(f"t{Counting.calls}", int(time.time()) + 3600)

    session = Session(Counting("x"), "test")
    assert (await session.get_token("s")).token == "t1"
    assert (await session.get_token("s")).token == "t1"
    session.invalidate()
    assert (await session.get_token("s")).token == "t2"
    with pytest.raises(SignInRequired):
        await Session(_Unavailable(), "expired").get_token("s")


def test_permission_table_names_least_privilege():
    assert permission_for("GET", "/security/alerts_v2?$top=1") == "SecurityAlert.Read.All"
    assert permission_for("GET", "/v1.0/identityProtection/riskyUsers") == "IdentityRiskyUser.Read.All"
    assert permission_for("POST", "/users/abc/revokeSignInSessions") == "User.RevokeSessions.All"
    assert permission_for("PATCH", "/users/abc") == "User.EnableDisableAccount.All"
    assert permission_for("POST", "/identityProtection/riskyUsers/confirmCompromised") == \
        "IdentityRiskyUser.ReadWrite.All"


def test_literal_makes_escapes_visible_and_inert():
    hostile = "Alert\x1b]52;c;ZXZpbA==\x07 \x1b[31mred\u202e txt.exe\r\nnext"
    shown = literal(hostile)
    assert "\x1b" not in shown and "\u202e" not in shown and "\n" not in shown and "\x07" not in shown
    assert "\\x1b]52;c;ZXZpbA==\\x07" in shown and "\\u202e" in shown


@pytest.mark.parametrize(("cloud", "url"), [("usgov", None), ("china", None), ("global", "https://graph-proxy.example.org")])
async def test_the_sdk_attaches_a_token_for_the_host_we_call_and_no_other(cloud, url):
    from warroom.console.graph.gateway import GraphGateway

    endpoint = resolve(cloud, url)
    gateway = GraphGateway(endpoint, Session(StaticToken("t0ken"), "test"))
    provider = gateway.adapter._authentication_provider.access_token_provider
    assert await provider.get_authorization_token(endpoint.base_url + "/security/alerts_v2") == "t0ken"
    assert await provider.get_authorization_token("https://evil.example/v1.0/me") == ""
    await gateway.close()
