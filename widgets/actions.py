"""The action registry (console/actions.py) as the UI uses it: bindings, palette entries, help rows, and the key
in force for every label and "press X" hint, so a `[ui.keys]` remap is named right everywhere.

A screen lists the places whose actions it offers in `ACTION_PLACES`, may say which node runs a place's actions
(`action_node(place)`, default the screen) and whether a condition holds (`condition(name)`, default yes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from textual.app import App
from textual.binding import Binding, BindingType

from ..console.actions import BY_ID, PLACE_NAMES, Action, in_place, shown


def bindings(place: str, *, priority: bool | None = None) -> list[BindingType]:
    """The Textual bindings of one place, each with its action's id so the keymap reaches it; `priority` (acting as
    typed, or bubbling) as the place declares it unless given."""
    return [Binding(action.key, action.run, action.label or action.title, show=action.footer, id=action.id,
                    priority=action.priority if priority is None else priority, tooltip=action.help)
            for action in in_place(place)]


# The remaps each app runs with. Textual applies a keymap (`App.set_keymap`) but offers no public way to read it
# back, so the remaps are kept here as they are handed over, for labels and hints to name the key in force.
_REMAPS: WeakKeyDictionary[App[Any], dict[str, str]] = WeakKeyDictionary()


def remap_keys(app: App[Any], remaps: Mapping[str, str]) -> None:
    """Put `[ui.keys]` (checked at load) in force: Textual rebinds every binding by its id, and every label, hint
    and help row names the new key. The one way an app's keys are remapped."""
    keymap = {str(action_id): str(keys) for action_id, keys in remaps.items()}
    _REMAPS[app] = keymap
    app.set_keymap(keymap)


def current_keys(app: App[Any], action_id: str) -> str:
    """The keys an action answers to in this app (commas between alternatives)."""
    return _REMAPS.get(app, {}).get(action_id) or BY_ID[action_id].key


def key_for(app: App[Any], action_id: str) -> str:
    """The key in force for an action, as a person writes it (`d`, `F2`, `ctrl+g`): the first if several."""
    return shown(current_keys(app, action_id).split(",")[0])


def labelled(app: App[Any], action_id: str, label: str | None = None) -> str:
    """A button's words with its key in force: "Declare (F2)"."""
    action = BY_ID[action_id]
    return f"{label or action.label or action.title} ({key_for(app, action_id)})"


def applies(node: Any, action: Action) -> bool:
    """Whether every condition the action names holds where it would run (`condition(name)` on the screen)."""
    condition: Callable[[str], bool] | None = getattr(node, "condition", None)
    return condition is None or all(condition(name) for name in action.when)


def action_for(places: Iterable[str], run: str) -> Action | None:
    """The declared action a binding's action string belongs to, in these places."""
    for place in places:
        for action in in_place(place):
            if action.run == run or action.run == f"screen.{run}":
                return action
    return None


class PaletteEntry(NamedTuple):
    title: str
    help: str
    action: Action


def palette_entries(screen: Any) -> list[PaletteEntry]:
    """What the command palette offers on a screen: the actions that apply now, each with its key in force."""
    entries = []
    for place in getattr(screen, "ACTION_PLACES", ()):
        for action in in_place(place):
            if action.palette and applies(screen, action):
                entries.append(PaletteEntry(action.title, f"{action.help} ({key_for(screen.app, action.id)})",
                                            action))
    return entries


class HelpRow(NamedTuple):
    keys: str
    title: str
    help: str


def help_rows(app: App[Any], place: str) -> list[HelpRow]:
    """One place's keys for the help screen, with the keys in force; no internal ids."""
    return [HelpRow(shown(current_keys(app, action.id)), action.title, action.help) for action in in_place(place)]


def place_name(place: str) -> str:
    return PLACE_NAMES.get(place, place)
