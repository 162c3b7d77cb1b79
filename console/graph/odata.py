"""How a value goes into a Graph request: as a path segment, or as an OData string literal in a $filter.

Values come from the tenant or the responder's typing; quoted here, a value can never end its segment or its
literal and add a path or a condition of its own.
"""

from __future__ import annotations

from urllib.parse import quote


def user_path(upn: str) -> str:
    """users/{upn}, the UPN percent-encoded (an `@`, a dot, a dash and an underscore stay as typed)."""
    return f"users/{quote(upn.strip(), safe='@.-_')}"


def string_literal(value: str) -> str:
    """'value' for a $filter: OData doubles a quote inside a string literal (o'brien -> 'o''brien')."""
    return "'" + value.replace("'", "''") + "'"
