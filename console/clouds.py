"""Which Microsoft cloud we talk to: Graph host, sign-in authority, token scope and the hosts allowed a token.

The SDK sends a request *without* an Authorization header when its host is not in the auth provider's
allowed hosts, silently; so the allowed hosts are always derived from the URL we actually call.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Cloud:
    name: str
    graph: str          # https://graph.microsoft.com, no trailing slash
    authority: str      # login.microsoftonline.com
    portal: str         # where a responder signs in for device code
    has_security: bool = True   # alerts, incidents and risky users exist in this cloud


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("global", "https://graph.microsoft.com", "login.microsoftonline.com",
                    "https://microsoft.com/devicelogin"),
    "usgov": Cloud("usgov", "https://graph.microsoft.us", "login.microsoftonline.us",
                   "https://microsoft.com/deviceloginus"),
    "usgov-dod": Cloud("usgov-dod", "https://dod-graph.microsoft.us", "login.microsoftonline.us",
                       "https://microsoft.com/deviceloginus"),
    "china": Cloud("china", "https://microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn",
                   "https://microsoft.com/deviceloginchina", has_security=False),
}


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and what token they carry: a cloud, possibly with its Graph URL overridden."""

    cloud: Cloud
    base_url: str       # https://graph.microsoft.com/v1.0 (no trailing slash)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def is_local(self) -> bool:
        """The simulated tenant or a local proxy: plain http is allowed, a dummy token is fine."""
        return self.host in LOCAL_HOSTS

    @property
    def scopes(self) -> list[str]:
        """`.default` on the Graph host itself (no port, no path): what Entra issues tokens for.

        An override pointing at a proxy or the simulated tenant still asks for the cloud's Graph scope,
        because no real authority issues tokens for 127.0.0.1.
        """
        if self.is_local or self.host == urlsplit(self.cloud.graph).hostname:
            return [f"{self.cloud.graph}/.default"]
        return [f"https://{self.host}/.default"]

    @property
    def allowed_hosts(self) -> list[str]:
        """Exactly the host we call: anything else would go out without an Authorization header."""
        return [self.host]

    @property
    def authority(self) -> str:
        return self.cloud.authority


def resolve(cloud: str = "global", graph_url: str | None = None, version: str = "v1.0") -> Endpoint:
    """The endpoint for a cloud name and an optional `graph.url` override (which may or may not name v1.0)."""
    try:
        chosen = CLOUDS[cloud]
    except KeyError:
        raise ValueError(f"unknown cloud {cloud!r}: use one of {', '.join(CLOUDS)}") from None
    if not graph_url:
        return Endpoint(chosen, f"{chosen.graph}/{version}")
    url = graph_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"graph URL {graph_url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"graph URL {graph_url!r}: plain http is only allowed for 127.0.0.1/localhost")
    if not parts.path or parts.path == "/":
        url = f"{url}/{version}"
    return Endpoint(chosen, url)
