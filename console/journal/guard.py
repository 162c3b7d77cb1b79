"""Refuse entries that carry secrets: a journal is shared, exported and reviewed, tokens must never land in it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import ahocorasick_rs

from .errors import SecretRefused

# A key names a secret when its LAST word does: `accessToken`, `client_secret`, `api_key`, `password`;
# not `token_expiry`, `checks_passed`, `bypass_mfa` or `credentialType`, which describe one.
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_LAST_WORDS = {
    "password", "passwd", "passphrase", "pwd", "secret", "token", "credential", "credentials",
    "authorization", "cookie", "assertion",
}
_SECRET_KEY_PAIRS = {("api", "key"), ("apikey",), ("private", "key"), ("signing", "key"), ("access", "key"),
                     ("shared", "key"), ("account", "key"), ("sas",)}


@lru_cache(maxsize=4096)    # keys repeat across objects (every Graph alert has the same ~40): split each once
def _names_a_secret(key: str) -> bool:
    words = [word.lower() for word in _WORDS.findall(key)]
    if not words:
        return False
    last = words[-1]
    return last in _SECRET_LAST_WORDS or tuple(words[-2:]) in _SECRET_KEY_PAIRS or (last,) in _SECRET_KEY_PAIRS
_SECRET_VALUE = [
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "a JSON web token"),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{20,}", re.IGNORECASE), "a bearer token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(client_secret|password)=[^\s&]{6,}", re.IGNORECASE), "a secret in a query string"),
]


def _may_hold_a_secret(text: str) -> bool:
    """What every pattern above needs, checked with plain `in`: ten times cheaper than the regexes."""
    return "eyJ" in text or "-----BEGIN" in text or "=" in text or "bearer" in text.lower()


# Every secret key's last word and every secret value pattern holds one of these words, in the JSON text of the value
# as in the value (JSON escapes quotes, backslashes and control characters, never letters or digits), once the text's
# ASCII letters are lower case (a key's words are ASCII; "eyj" is a token's "eyJ" lowered: more texts are walked).
_IN_TEXT = ("password", "passwd", "passphrase", "pwd", "secret", "token", "credential", "authorization", "cookie",
            "assertion", "sas", "bearer", "-----begin", "eyj")
# All of them found in one pass in C (Aho-Corasick): fourteen `in` scans and a regex cost ~16 µs an alert.
_WORDS_IN_TEXT = ahocorasick_rs.BytesAhoCorasick([word.encode() for word in _IN_TEXT],
                                                 matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
# The query-string pattern ignores case as Python's re does, where a long s is an s and a dotless or dotted I an i.
_FOLDS = (("\u017f".encode(), b"s"), ("\u0131".encode(), b"i"), ("\u0130".encode(), b"i"))
# A key pair's two words stand next to each other, with only separators (or their JSON escapes) between: searched in
# the reversed text, where the pattern begins with a literal ("yek") that re skips to instead of trying every place.
# Any byte of a non-ASCII character separates, as in a key (its words are ASCII: a Kelvin sign is not a k there).
_KEY_PAIR_REVERSED = re.compile(
    rb"yek(?:[^a-z0-9\\]|[0-9a-f]{4}u\\|.\\)*(?:ipa|etavirp|gningis|ssecca|derahs|tnuocca)", re.DOTALL)


def _text_may_hold_a_secret(text: str | bytes) -> bool:
    """Whether a value's JSON text could hold anything `refuse_secrets` refuses: a few passes over the text in C,
    where walking a Graph alert's ~50 fields in Python costs ~15 µs (0.75 s for a 50,000-alert first sight)."""
    data = (text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text).lower()
    if _WORDS_IN_TEXT.find_matches_as_indexes(data):
        return True
    if not data.isascii():
        folded = data
        for char, ascii_letter in _FOLDS:
            folded = folded.replace(char, ascii_letter)
        if folded != data and (b"password" in folded or b"secret" in folded):
            return True
    return _KEY_PAIR_REVERSED.search(data[::-1]) is not None


def texts_are_secret_free(texts: list[str]) -> bool:
    """Whether none of these JSON texts could hold anything `refuse_secrets` refuses, scanned as one: what any of
    them holds, their joined text holds. A page of observations is so passed in ten scans, not a thousand."""
    return not _text_may_hold_a_secret("\n".join(texts))


def refuse_secrets(value: Any, path: str = "body", *, text: str | bytes | None = None) -> None:
    """Raise SecretRefused naming where the secret-shaped field is; check keys and string values alike.

    `text`, the value's JSON text when the caller has it, lets most values pass without a walk.
    """
    if text is not None and not _text_may_hold_a_secret(text):
        return
    if not _holds_a_secret(value):
        return
    _refuse(value, path)


def _holds_a_secret(value: Any) -> bool:
    """What `_refuse` decides, without building a path for every field: an alert has ~40 (a 50,000-alert
    ingest checks two million); the path is worked out only for the rare object that is refused."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _names_a_secret(key) and item not in (None, "", False):
                    return True
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and _may_hold_a_secret(value) and any(
                pattern.search(value) for pattern, _ in _SECRET_VALUE):
            return True
    return False


def _refuse(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if isinstance(key, str) and _names_a_secret(key):
                if item not in (None, "", False):
                    raise SecretRefused(f"refused to journal {where}: the field name says it holds a secret")
            _refuse(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if not _may_hold_a_secret(value):
            return
        for pattern, what in _SECRET_VALUE:
            if pattern.search(value):
                raise SecretRefused(f"refused to journal {path}: it looks like {what}")
