"""Graph text on a plain terminal: shown literally, with every control and escape character made visible.

An alert title can carry ESC sequences (recolour, retitle the window, OSC 52 clipboard writes) or BiDi
overrides that reorder what a responder reads. `literal()` prints each such character as an escape
(`\\x1b`, `\\u202e`) instead, so the text is still there to read and report, but inert.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def literal(value: object, limit: int | None = None) -> str:
    """One inert line: controls (newlines included), escapes and format characters shown as `\\xNN`."""
    text = _UNSAFE.sub(_escape, "" if value is None else str(value))
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
