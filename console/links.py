"""Links from the tenant are hostile too: only an https link to a Microsoft portal is offered or copied.

An alert's `alertWebUrl` (and an incident's `incidentWebUrl`) is a string Graph hands us; a forged or
compromised source could make it `javascript:…`, a `data:` URL, a look-alike host or a link that carries
an escape sequence. The console copies a link to the responder's own clipboard, where a click or a paste
opens it: so it is checked here, once, and refused with one line that says why.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from .text import clean, literal

# Microsoft's portals for Defender, Entra and Purview, in every cloud we support; their subdomains too
# (mto.security.microsoft.com for multi-tenant organisations).
PORTAL_HOSTS = (
    "security.microsoft.com", "security.microsoft.us", "security.apps.mil", "securitycenter.microsoft.com",
    "portal.azure.com", "portal.azure.us", "entra.microsoft.com", "entra.microsoft.us",
    "purview.microsoft.com", "compliance.microsoft.com",
)
LINK_LIMIT = 2048


class PortalLink(NamedTuple):
    """`url` to offer and copy, or "" with `refused` saying why in a few words."""

    url: str
    refused: str = ""


def portal_link(value: object) -> PortalLink:
    """The link as sent when it is https to a Microsoft portal; otherwise nothing, and the reason."""
    raw = "" if value is None else str(value)
    if not raw:
        return PortalLink("", "there is no portal link")
    if len(raw) > LINK_LIMIT:
        return PortalLink("", f"the link is longer than {LINK_LIMIT:,} characters")
    if clean(raw, None) != raw or any(c.isspace() for c in raw):
        return PortalLink("", "the link holds spaces, control or invisible characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return PortalLink("", "the link is not a valid URL")
    if parts.scheme.lower() != "https":
        scheme = f"{literal(parts.scheme, 20)}:" if parts.scheme else "a link without a scheme"
        return PortalLink("", f"{scheme} is not https")
    if parts.username is not None or parts.password is not None:
        return PortalLink("", "the link names a user before its host")
    host = (parts.hostname or "").rstrip(".")
    if port not in (None, 443) or not any(host == h or host.endswith(f".{h}") for h in PORTAL_HOSTS):
        return PortalLink("", f"{literal(host, 80) or 'its host'} is not a Microsoft portal")
    return PortalLink(raw)
