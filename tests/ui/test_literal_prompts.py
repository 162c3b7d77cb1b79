"""Textual reads a `str` prompt or label as markup: every one made from data goes through widgets/safe.py.

A source check holds the rule where the hostile walk cannot reach (a screen added later, a label only shown in
one state): a widget that takes a prompt gets a string constant (our words) or the sanitiser's Text, never a
bare name, attribute, f-string or a comprehension of raw pairs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from warroom.screens.app import WarroomApp
from warroom.screens.review import JournalBrowserApp
from warroom.widgets.safe import LiteralNotifications, safe_label, safe_options

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "screens").glob("*.py")), *sorted((ROOT / "widgets").glob("*.py"))]
PROMPTED = {"Label", "Static", "Button", "Checkbox", "RadioButton", "Tab", "TabPane", "Collapsible", "Option",
            "Selection", "Select", "Link", "ListItem"}      # the first argument is the prompt
LISTS = {"SelectionList", "OptionList"}                     # every positional argument holds one
PROMPT_KEYWORDS = {"label", "prompt", "title", "content", "renderable"}
TITLES = {"border_title", "border_subtitle"}                # read as markup too
SANITISERS = {"safe_label", "safe_text", "plain", "safe_options", "heading", "Text", "assemble"}
# Our own words from the action registry; the keys in them are checked to be key names when the config loads.
REGISTRY = {"labelled", "keys_line", "key_for"}


def text_builders(sources: list[Path]) -> set[str]:
    """Our functions typed to return Text (or a Rich Table): built from cleaned parts (the hostile walk checks)."""
    return {node.name for path in sources for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef) and node.returns is not None
            and ast.unparse(node.returns) in ("Text", "Table")}


def _called(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _unsafe(arg: ast.AST, safe: set[str]) -> bool:
    """True when the argument may carry data as a markup string."""
    if isinstance(arg, ast.Constant):
        return False
    if isinstance(arg, ast.Call):
        return _called(arg) not in safe and not _called(arg).endswith("_options")
    if isinstance(arg, ast.Starred):
        return _unsafe(arg.value, safe)
    if isinstance(arg, (ast.ListComp, ast.GeneratorExp)):
        element = arg.elt
        return _unsafe(element.elts[0] if isinstance(element, ast.Tuple) else element, safe)
    if isinstance(arg, (ast.List, ast.Tuple)):
        return any(_unsafe(e.elts[0] if isinstance(e, ast.Tuple) else e, safe) for e in arg.elts)
    if isinstance(arg, ast.IfExp):
        return _unsafe(arg.body, safe) or _unsafe(arg.orelse, safe)
    return True     # a name, an attribute, an f-string, a concatenation: data could be in it


def offences(sources: list[Path]) -> list[str]:
    found, safe = [], SANITISERS | REGISTRY | text_builders(sources)
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr in TITLES
                                                    for t in node.targets):
                args = [node.value]
            elif isinstance(node, ast.Call) and _called(node) in PROMPTED | LISTS:
                positional = node.args if _called(node) in LISTS else node.args[:1]
                args = [*positional, *(k.value for k in node.keywords if k.arg in PROMPT_KEYWORDS)]
            else:
                continue
            for arg in args:
                if _unsafe(arg, safe):
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(arg)[:70]}")
    return found


def test_every_prompt_is_a_constant_or_made_by_the_sanitiser() -> None:
    assert offences(SOURCES) == []


def test_the_check_catches_a_raw_prompt(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("SelectionList(*((n, n) for n in names))\nLabel(name)\nButton(f'{x}')\n"
                   "Select([(a, b) for a, b in x])\nLabel(safe_label(name))\nButton('Back (Esc)')\n"
                   "box.border_title = name\n")
    assert sorted(o.split()[0] for o in offences([bad])) == ["bad.py:1", "bad.py:2", "bad.py:3", "bad.py:4", "bad.py:7"]


def test_labels_are_literal_and_clean() -> None:
    label = safe_label("[link=https://evil.example]x[/link] \x1b]52;c;ZXZpbA==\x07\u202eTeams")
    assert label.plain == "[link=https://evil.example]x[/link] Teams" and not label.spans
    assert [p.plain for p, _ in safe_options([("[b]x[/b]\x1b[2J", 1)])] == ["[b]x[/b]"]


@pytest.mark.parametrize("app_class", [WarroomApp, JournalBrowserApp])
def test_every_app_shows_notifications_literally(app_class) -> None:
    assert issubclass(app_class, LiteralNotifications)


async def test_a_notification_is_cleaned_and_never_markup() -> None:
    from textual.app import App

    class Probe(LiteralNotifications, App[None]):
        pass

    app = Probe()
    async with app.run_test() as pilot:
        app.notify("[link=https://evil.example]x[/link]\x1b]52;c;ZXZpbA==\x07", title="\x1b[2J[b]t[/b]")
        await pilot.pause()
        (note,) = list(app._notifications)
        assert note.message == "[link=https://evil.example]x[/link]" and note.markup is False
        assert note.title == "[b]t[/b]"
        assert app.is_running
