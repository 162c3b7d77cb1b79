"""Kept for old imports: `literal()` lives in `console/text.py`, the one sanitiser for hostile text."""

from __future__ import annotations

from ..text import literal

__all__ = ["literal"]
