"""Only an https link to a Microsoft portal is offered or copied; anything else is refused with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from warroom.console.links import portal_link


@pytest.mark.parametrize("url", [
    "https://security.microsoft.com/alerts/da1?tid=contoso",
    "https://mto.security.microsoft.com/incidents/7",
    "https://security.microsoft.us/alerts/x",
    "https://SECURITY.MICROSOFT.COM:443/a?[b]x[/b]",
])
def test_portal_links_are_offered_as_sent(url: str) -> None:
    assert portal_link(url) == (url, "")


@pytest.mark.parametrize("url, why", [
    ("javascript:alert(document.cookie)", "javascript: is not https"),
    ("JavaScript:alert(1)", "javascript: is not https"),
    ("data:text/html,<script>x</script>", "data: is not https"),
    ("http://security.microsoft.com/a", "http: is not https"),
    ("file:///etc/passwd", "file: is not https"),
    ("//security.microsoft.com/a", "a link without a scheme is not https"),
    ("https://security.microsoft.com.evil.example/a", "security.microsoft.com.evil.example is not a Microsoft"),
    ("https://evilsecurity.microsoft.com/a", "evilsecurity.microsoft.com is not a Microsoft portal"),
    ("https://security.microsoft.com@evil.example/a", "names a user"),
    ("https://security.microsoft.com:8443/a", "is not a Microsoft portal"),
    ("https://security.microsoft.com/a\x1b]52;c;ZXZpbA==\x07", "control or invisible"),
    ("https://security.microsoft.com/a b", "spaces"),
    ("https://security.microsoft.com/\u202etxt", "control or invisible"),
    ("https://[::1/a", "not a valid URL"),
    ("https://security.microsoft.com/" + "a" * 3000, "longer than 2,048"),
    ("", "no portal link"),
])
def test_other_links_are_refused_with_the_reason(url: str, why: str) -> None:
    link = portal_link(url)
    assert link.url == "" and why in link.refused


@given(st.text(max_size=200))
def test_an_offered_link_is_always_https_to_a_portal_and_inert(value: str) -> None:
    link = portal_link(value)
    if link.url:
        assert link.url.lower().startswith("https://") and link.url == value
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in link.url)
    else:
        assert link.refused and "\n" not in link.refused and "\x1b" not in link.refused
