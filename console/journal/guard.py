"""Refuse entries that carry secrets: a journal is shared, exported and reviewed, tokens must never land in it."""

from __future__ import annotations

import re
from typing import Any

from .errors import SecretRefused

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|credential|api[_-]?key|private[_-]?key|authorization|cookie|"
    r"client[_-]?assertion|refresh)",
    re.IGNORECASE,
)
# Keys that contain a secret-shaped word but name metadata, not a secret.
_ALLOWED_KEYS = {"token_type", "tokens", "token_count", "password_reset_required", "secret_name"}
_SECRET_VALUE = [
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "a JSON web token"),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{20,}", re.IGNORECASE), "a bearer token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(client_secret|password)=[^\s&]{6,}", re.IGNORECASE), "a secret in a query string"),
]


def _may_hold_a_secret(text: str) -> bool:
    """What every pattern above needs, checked with plain `in`: ten times cheaper than the regexes."""
    return "eyJ" in text or "-----BEGIN" in text or "=" in text or "bearer" in text.lower()


def refuse_secrets(value: Any, path: str = "body") -> None:
    """Raise SecretRefused naming where the secret-shaped field is; check keys and string values alike."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if isinstance(key, str) and key.lower() not in _ALLOWED_KEYS and _SECRET_KEY.search(key):
                if item not in (None, "", False):
                    raise SecretRefused(f"refused to journal {where}: the field name says it holds a secret")
            refuse_secrets(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if not _may_hold_a_secret(value):
            return
        for pattern, what in _SECRET_VALUE:
            if pattern.search(value):
                raise SecretRefused(f"refused to journal {path}: it looks like {what}")
