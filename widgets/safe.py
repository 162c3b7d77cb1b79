"""Graph strings are hostile: make them inert before they reach the screen.

Titles, UPNs and descriptions come from the tenant and may hold Rich markup, terminal escape sequences,
C0/C1 controls or BiDi overrides that reorder what a responder reads. Everything shown from Graph goes
through `clean()` and is rendered as `rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

import re

from rich.text import Text

# ESC/CSI/OSC sequences first (so their parameters go too), then any remaining control characters,
# then the Unicode format characters that reorder or hide text (BiDi embeddings, overrides, isolates).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMAT = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")
_SPACES = re.compile(r"[\t\n\r]+")

TITLE_LIMIT = 160


def clean(value: object, limit: int | None = TITLE_LIMIT, *, keep_newlines: bool = False) -> str:
    """Strip escapes, controls and BiDi overrides; one line (unless asked), at most `limit` characters."""
    text = "" if value is None else str(value)
    text = _ESCAPES.sub("", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n")
        text = "\n".join(_CONTROLS.sub("", line.replace("\t", " ")) for line in text.split("\n"))
    else:
        text = _SPACES.sub(" ", text)
        text = _CONTROLS.sub("", text)
    text = _FORMAT.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def safe_text(value: object, style: str = "", limit: int | None = TITLE_LIMIT) -> Text:
    """A cleaned string as literal Text: `[bold]` stays the six characters a tenant sent."""
    return Text(clean(value, limit), style=style, no_wrap=True, overflow="ellipsis")
