"""`--color`: what reaches Textual (through the environment, before it is imported) and the theme."""

from __future__ import annotations

import os

import pytest
from warroom.console.cli import _context, build_parser
from warroom.console.commands.console_cmd import apply_color


@pytest.mark.parametrize(("flag", "system", "theme"), [("16", "standard", "ansi"), ("256", "256", "dark"),
                                                       ("truecolor", "truecolor", "dark")])
def test_color_flag_sets_textual_color_system(monkeypatch, flag, system, theme) -> None:
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "auto")     # recorded, so the test's change is undone
    ctx = _context(build_parser().parse_args(["--color", flag, "demo"]))
    apply_color(ctx)
    assert os.environ["TEXTUAL_COLOR_SYSTEM"] == system
    assert ctx.config["ui.theme"] == theme


def test_color_none_is_no_color(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")                     # recorded, so the test's change is undone
    monkeypatch.delenv("NO_COLOR")
    ctx = _context(build_parser().parse_args(["demo", "--color", "none"]))
    apply_color(ctx)
    assert os.environ["NO_COLOR"] == "1"
