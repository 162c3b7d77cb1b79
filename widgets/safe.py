"""Graph strings are hostile: widgets show them through the one sanitiser, console/text.py, as literal Text.

Titles, UPNs and descriptions come from the tenant and may hold Rich markup, terminal escape sequences,
C0/C1 controls or BiDi overrides. Everything shown from Graph goes through `clean()` and is rendered as
`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text

from ..console.text import TITLE_LIMIT, clean

__all__ = ["TITLE_LIMIT", "clean", "safe_text"]


def safe_text(value: object, style: str = "", limit: int | None = TITLE_LIMIT) -> Text:
    """A cleaned string as literal Text: `[bold]` stays the six characters a tenant sent."""
    return Text(clean(value, limit), style=style, no_wrap=True, overflow="ellipsis")
