"""Attacker-controlled text made inert: the one place that knows which characters are dangerous.

Alert titles, UPNs, e-mail subjects and service-issue posts come from the tenant (and through the journal,
from other machines). They may hold terminal escape sequences (recolour, retitle the window, OSC 52
clipboard writes, OSC 8 links), C0/C1 controls, or Unicode format characters that reorder or hide text
(BiDi embeddings, overrides, isolates, zero-width marks), or a lone UTF-16 surrogate that no UTF-8 text can hold.

- `clean()` is for the screen: sequences and controls removed, format characters dropped, one line unless
  asked, cut to a length. Render the result as `rich.text.Text`, never as markup.
- `literal()` is for a plain terminal or a file a person will `cat`: each dangerous character is shown as a
  visible escape (`\\x1b`, `\\u202e`), so the text is still there to read and report, but inert.
- `writable()` is for a key kept as Graph gave it (an alert's id): only a lone surrogate becomes its escape;
  `writable_data()` does the same to every text in Graph's data a journal entry or a digest quotes.
"""

from __future__ import annotations

import re
from typing import Any

# ESC/CSI/OSC sequences first (so their parameters go too), then any remaining control characters,
# then the Unicode format characters that reorder or hide text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible or reordering: soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and
# direction marks, line/paragraph separators, BiDi embeddings/overrides/isolates, word joiners, deprecated
# format characters, BOM, interlinear annotations, and the tag characters.
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_FORMAT = re.compile(f"[{_INVISIBLE}]")
_SPACES = re.compile(r"[\t\n\r]+")
# A lone UTF-16 surrogate (.NET's JSON can carry one, `\\udc00`): no UTF-8 text, journal or terminal can hold it.
_SURROGATES = "\ud800-\udfff"
_SURROGATE = re.compile(f"[{_SURROGATES}]")
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_INVISIBLE}{_SURROGATES}]")

TITLE_LIMIT = 160


def clean(value: object, limit: int | None = TITLE_LIMIT, *, keep_newlines: bool = False) -> str:
    """For the screen: strip escapes, controls and BiDi/zero-width characters; one line unless asked. A lone
    surrogate is shown as its escape (`\\udc00`), as `literal` and `writable` show it."""
    text = "" if value is None else str(value)
    if _UNSAFE.search(text) is None:    # nothing to strip (most text): one scan instead of four substitutions
        return text if limit is None or len(text) <= limit else text[: max(0, limit - 1)] + "…"
    text = _ESCAPES.sub("", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n")
        text = "\n".join(_CONTROLS.sub("", line.replace("\t", " ")) for line in text.split("\n"))
    else:
        text = _SPACES.sub(" ", text)
        text = _CONTROLS.sub("", text)
    text = _FORMAT.sub("", text)
    text = _SURROGATE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def clean_uncut(value: object, *, keep_newlines: bool = False) -> str:
    """`clean` with no length cut: for the journal browser and reports, which cut to their own column."""
    return clean(value, None, keep_newlines=keep_newlines)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def writable(value: str) -> str:
    """`value` with each lone surrogate as its escape (`\\udc00`), everything else as it is: text UTF-8 (the journal,
    a file, the terminal) can hold, for a name Graph gave that is also a key (an alert's id)."""
    return value if value.isascii() else _SURROGATE.sub(_escape, value)


def holds_lone_surrogate(value: str) -> bool:
    """Whether UTF-8 cannot hold `value` as it is: a lone surrogate, which `writable` escapes. Asked of every entry's
    text: ASCII is known without a scan; encoding 1.6 KB of other text (~1 µs) is five times faster than a search."""
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def writable_data(value: Any) -> Any:
    """JSON data (dicts, lists, texts, numbers) with every text in it, keys too, `writable`: Graph's data quoted as
    the screen shows it, which a journal entry, a file or a digest's UTF-8 can hold. ValueError when two keys of one
    object would become one (`"a\\udc00"` beside `"a\\\\udc00"`): nothing is dropped silently."""
    if isinstance(value, str):
        return writable(value)
    if isinstance(value, (list, tuple)):
        return [writable_data(item) for item in value]
    if isinstance(value, dict):
        kept = {writable(key) if isinstance(key, str) else key: writable_data(item) for key, item in value.items()}
        if len(kept) != len(value):
            raise ValueError("two keys differ only by a lone surrogate and its escape")
        return kept
    return value


def is_plain(value: str) -> bool:
    """No control, escape or format character at all: safe to keep as typed (a name, a path, an id)."""
    return _UNSAFE.search(value) is None


def literal(value: object, limit: int | None = None) -> str:
    """For a plain terminal: one inert line, each control or format character or lone surrogate shown as
    `\\xNN`/`\\uNNNN`."""
    text = _UNSAFE.sub(_escape, "" if value is None else str(value))
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
