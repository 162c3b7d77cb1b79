"""Records by key that remember which keys changed: how a screen showing 50,000 alerts redoes only what a poll
changed, without walking all of them to find out."""

from __future__ import annotations

from typing import Any, TypeVar

V = TypeVar("V")


class Tracked(dict[str, V]):
    """A dict whose every write or removal notes its key until `take_changed` hands the keys over.

    One reader takes the changes (the alerts pane); the noted keys are bounded by the keys ever held, so a process
    that never reads them (`warroom status`) keeps at most one key per object.
    """

    __slots__ = ("_changed",)

    def __init__(self, *args: Any, **kwargs: V) -> None:
        super().__init__(*args, **kwargs)
        self._changed: set[str] = set(self)

    def take_changed(self) -> set[str]:
        """The keys written or removed since the last call (the first call: every key)."""
        changed, self._changed = self._changed, set()
        return changed

    def __setitem__(self, key: str, value: V) -> None:
        super().__setitem__(key, value)
        self._changed.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed.add(key)

    def update(self, *args: Any, **kwargs: V) -> None:
        fresh: dict[str, V] = dict(*args, **kwargs)
        super().update(fresh)
        self._changed.update(fresh)

    def __ior__(self, other: Any) -> Tracked[V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self._changed.add(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, V]:
        key, value = super().popitem()
        self._changed.add(key)
        return key, value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self._changed.add(key)
        return super().setdefault(key, default)

    def clear(self) -> None:
        self._changed.update(self)
        super().clear()
