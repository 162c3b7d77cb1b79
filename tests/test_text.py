"""The one sanitiser: nothing that can steer a terminal or reorder text survives clean() or literal()."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from warroom.console.text import clean, holds_lone_surrogate, literal, writable, writable_data

HOSTILE = (
    "[bold red]x[/] \x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b]8;;http://evil\x07 \x9b31m \u202eevil\u200f \u00ad\U000e0041"
)
DANGEROUS_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}      # Cs: a lone surrogate, which UTF-8 cannot hold

hostile_text = st.text(
    alphabet=st.sampled_from([*"ab[]/ \n\t", "\x1b", "\x9b", "\x07", "\x00", "\x7f", "\u202e", "\u2066",
                              "\u200b", "\ufeff", "\u00ad", "\u2028", "\U000e0041", "é", "漢", "\udc00", "\ud83d"]),
    max_size=60,
)


def dangerous(text: str, allowed: str = "") -> list[str]:
    return [ch for ch in text if ch not in allowed and unicodedata.category(ch) in DANGEROUS_CATEGORIES]


@given(hostile_text)
def test_clean_leaves_no_control_or_format_character(text: str) -> None:
    assert dangerous(clean(text, limit=None)) == []
    assert dangerous(clean(text, limit=None, keep_newlines=True), allowed="\n") == []


@given(st.one_of(hostile_text, st.text(max_size=200)), st.sampled_from([None, 0, 1, 5, 160]), st.booleans())
def test_clean_of_text_with_nothing_to_strip_is_the_text_cut(text: str, limit: int | None, newlines: bool) -> None:
    """Most titles hold nothing to strip: clean() returns them after one scan, exactly as the substitutions would."""
    from warroom.console import text as module

    stripped = module._ESCAPES.sub("", text)
    if newlines:
        stripped = "\n".join(module._CONTROLS.sub("", line.replace("\t", " "))
                             for line in stripped.replace("\r\n", "\n").split("\n"))
    else:
        stripped = module._CONTROLS.sub("", module._SPACES.sub(" ", stripped))
    stripped = module._SURROGATE.sub(module._escape, module._FORMAT.sub("", stripped))
    if limit is not None and len(stripped) > limit:
        stripped = stripped[: max(0, limit - 1)] + "…"
    assert clean(text, limit, keep_newlines=newlines) == stripped


@given(hostile_text)
def test_literal_shows_every_dangerous_character_as_a_visible_escape(text: str) -> None:
    shown = literal(text)
    assert dangerous(shown) == []
    assert shown.isascii() or any(ch in shown for ch in "é漢")


def test_markup_stays_the_characters_the_tenant_sent() -> None:
    assert clean(HOSTILE).startswith("[bold red]x[/] ")
    assert "\\x1b]52;c;" in literal(HOSTILE)
    assert "\\u202e" in literal(HOSTILE) and "\\U000e0041" in literal(HOSTILE)


def test_long_titles_are_cut_with_an_ellipsis() -> None:
    assert clean("A" * 10_000) == "A" * 159 + "…"


def test_a_lone_surrogate_is_shown_and_kept_as_its_escape() -> None:
    """.NET's JSON can carry a lone surrogate (in an alert's id or title): the screen, a plain terminal and a key
    hold its escape, text UTF-8 can write, instead of a character the terminal and the journal cannot."""
    assert clean("x\udc00y \ud83d") == literal("x\udc00y \ud83d") == writable("x\udc00y \ud83d") == "x\\udc00y \\ud83d"
    assert writable("da\x1b[2J\u202e \U0001f600") == "da\x1b[2J\u202e \U0001f600"      # a key keeps the rest
    assert writable("da637551227677560813_-961444813") == "da637551227677560813_-961444813"


@given(hostile_text)
def test_what_the_screen_and_a_key_show_utf8_can_write(text: str) -> None:
    for shown in (clean(text, limit=None), literal(text), writable(text)):
        shown.encode("utf-8")
    assert holds_lone_surrogate(text) is (writable(text) != text)


def test_graph_data_is_made_writable_throughout_and_nothing_is_dropped() -> None:
    data = {"title\udc00": ["é\ud800", ("x", 1.5)], "n": None, 2: {"y\udfff": True}}
    assert writable_data(data) == {"title\\udc00": ["é\\ud800", ["x", 1.5]], "n": None, 2: {"y\\udfff": True}}
    assert writable_data({"a": "plain"}) == {"a": "plain"}
    with pytest.raises(ValueError, match="two keys"):
        writable_data({"a\udc00": 1, "a\\udc00": 2})
