"""What a Graph observation entry holds: the object whole the first time, then only what changed.

The first sight of an object journals it as Graph sent it (`data`): the journal keeps what Graph said, and the
review, the evidence bundle and a restart read it from there. A later change journals a JSON merge patch
(RFC 7396) against the previous observation of the same (source, key): `patch`, with `base` the digest of the
object it applies to and `digest` the digest of the object it makes. A change a merge patch cannot say exactly (a
member set to null, which RFC 7396 reads as "remove it") journals the whole object again, as does a change whose
patch would not be smaller. An object Graph no longer lists is journaled with `data: null`.

Readers rebuild objects by replaying observations in journal order (`Replay`). Entries in the older shape, where
every observation holds the whole object, are `data` entries: they replay unchanged. A patch whose base is not
the object replayed so far (an entry missing from what was read, a withheld object) is not guessed at: the object
is marked not rebuilt, with the reason.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from .journal.encoding import canonical_json, canonical_json_of_parsed

# Body fields: source, key, digest; then data (whole object, or null when gone) or patch + base.


class Observed(NamedTuple):
    """One object as the observations so far say it is."""

    data: dict[str, Any] | None     # the object; None when Graph no longer lists it, or it could not be rebuilt
    digest: str                     # as the last observation recorded it ("" when gone)
    missing: str = ""               # why the object could not be rebuilt ("" when it was)

    @property
    def known(self) -> bool:
        """A whole object, neither gone, withheld nor missing its base."""
        return isinstance(self.data, dict) and "withheld" not in self.data and not self.missing


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: apply `patch` to `target` without changing either; a null member removes that member."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON: 1, 1.0 and true are three different values here (Python calls them equal)."""
    return old == new and (type(old) is type(new)) and (
        not isinstance(new, (list, dict)) or canonical_json(old) == canonical_json(new))


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = {name: None for name in old if name not in new}
    for name, value in new.items():
        if name in old:
            before = old[name]
            if isinstance(value, dict) and isinstance(before, dict):
                inner = _diff(before, value)
                if inner:
                    patch[name] = inner
                continue
            if _same(before, value):
                continue
        patch[name] = value
    return patch


def make_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any] | None:
    """The merge patch that turns `old` into `new` exactly, or None when a merge patch cannot say it
    (a member set to null) or would not be smaller than `new` itself."""
    old, new = dict(old), dict(new)
    patch = _diff(old, new)
    if not patch:
        return None
    text = canonical_json(patch)
    whole = canonical_json(new)
    if len(text) >= len(whole) or canonical_json(merge_patch(old, patch)) != whole:
        return None
    return patch


def observation_body(source: str, key: str, digest: str, data: Mapping[str, Any],
                     previous: Mapping[str, Any] | None = None, base: str | None = None) -> dict[str, Any]:
    """The body of an observation of `data`: a patch against `previous` (whose digest is `base`) when one
    says the change exactly and is smaller, else the whole object."""
    if previous and base:
        patch = make_patch(previous, data)
        if patch is not None:
            return {"source": source, "key": key, "digest": digest, "base": base, "patch": patch}
    return {"source": source, "key": key, "digest": digest, "data": data}


def observation_text(body: Mapping[str, Any], data_text: bytes) -> str | None:
    """`canonical_json(body)` for an observation of a whole object that orjson read, spliced from `data_text`, the
    object's `orjson.dumps(..., option=OPT_SORT_KEYS)` text the watcher digests: a first sight of 50,000 alerts
    encodes each object once, not again for the journal (~3 µs an alert). None when the body holds a patch, or its
    object may hold a float (json writes floats its own way): the journal encodes that body itself.

    The body's other members are text or `true` (source, key, digest, the marks): orjson writes those as json does.
    """
    if "data" not in body:
        return None
    data = canonical_json_of_parsed(data_text)
    if data is None:
        return None
    rest = dict(body)
    del rest["data"]
    if not rest:
        return '{"data":' + data + "}"
    if min(rest) < "data":                  # `data` must come first in the sorted text
        return None
    try:
        tail = orjson.dumps(rest, option=orjson.OPT_SORT_KEYS)
    except TypeError:                       # a key with a lone surrogate: json's to write
        return None
    return '{"data":' + data + "," + tail[1:].decode("utf-8")


def gone_body(source: str, key: str) -> dict[str, Any]:
    """The body saying Graph no longer lists an object."""
    return {"source": source, "key": key, "digest": "", "data": None}


def is_patch(body: Mapping[str, Any]) -> bool:
    return "patch" in body and "data" not in body


class Replay:
    """Objects rebuilt from observation bodies fed in journal order, per (source, key).

    `compact` keeps each object pickled between its observations, for a reader that uses each object as it is fed
    and keeps only what it makes of it (a restore of 50,000 alerts then holds their bytes, not 50,000 parsed
    objects: ~500 MB); `objects` then holds each one's digest and reason without its data."""

    def __init__(self, *, compact: bool = False) -> None:
        self.objects: dict[tuple[str, str], Observed] = {}
        self._compact = compact
        self._kept: dict[tuple[str, str], bytes] = {}      # compact: each known object, pickled

    def feed(self, body: Mapping[str, Any]) -> Observed | None:
        """Take one observation's body; returns the object it leaves, None for a body that is not one."""
        source, key = body.get("source"), body.get("key")
        if not isinstance(source, str) or not isinstance(key, str):
            return None
        name = (source, key)
        digest = body.get("digest")
        digest = digest if isinstance(digest, str) else ""
        if is_patch(body):
            observed = self._patched(self._before(name), body, digest)
        else:
            data = body.get("data")
            observed = Observed(data if isinstance(data, dict) else None, digest)
        if self._compact and isinstance(observed.data, dict):
            self._kept[name] = pickle.dumps(observed.data, protocol=pickle.HIGHEST_PROTOCOL)
            self.objects[name] = observed._replace(data=None)
        else:
            self._kept.pop(name, None)
            self.objects[name] = observed
        return observed

    def _before(self, name: tuple[str, str]) -> Observed | None:
        before = self.objects.get(name)
        kept = self._kept.get(name)
        if before is None or kept is None:
            return before
        return before._replace(data=pickle.loads(kept))     # bytes this Replay pickled itself

    @staticmethod
    def _patched(before: Observed | None, body: Mapping[str, Any], digest: str) -> Observed:
        patch = body.get("patch")
        if before is None:
            return Observed(None, digest, "a change whose first sight is not in what was read")
        if not before.known:
            return Observed(None, digest, before.missing or "a change to an object that was withheld or gone")
        if body.get("base") != before.digest:
            return Observed(None, digest, "a change to another version of the object than the one read")
        if not isinstance(patch, dict):
            return Observed(None, digest, "a change that is not a merge patch")
        return Observed(merge_patch(before.data, patch), digest)


__all__ = ["Observed", "Replay", "gone_body", "is_patch", "make_patch", "merge_patch", "observation_body"]
