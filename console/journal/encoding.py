"""The canonical encoding and the hash chain: the part of the journal that makes tampering visible.

An entry's hash is SHA-256 over the previous entry's hash, a newline, and the canonical encoding of
every stored field. The body is hashed exactly as stored (it is stored canonical), so a change to a
field of an entry, or a deleted, inserted or reordered entry, breaks the chain at that entry, as long as
the entries after it are left as they were.

A journal's first entry chains from `genesis_for(journal_id)`, so its id (kept in `meta`, outside the
entries) is bound into the chain: change the id and entry 1 no longer fits. Journals made before this
chain from GENESIS (zeros): for them nothing in the chain proves the id, and verify says so.

What the chain alone cannot show: entries cut from the end, or a chain rewritten from some entry on with
every later hash recomputed (the hash has no key: anyone who can write the file can do it). Both are
caught only against a head recorded elsewhere (`journal verify --head`, an evidence bundle's custody).
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring  # what json.dumps uses for text with ensure_ascii=False
from typing import Any

import ahocorasick_rs
import orjson

from ..text import holds_lone_surrogate, writable_data

GENESIS = "0" * 64   # the first entry's previous hash in a journal made before ids were bound into the chain


def genesis_for(journal_id: str) -> str:
    """The previous hash of a journal's first entry: binds the journal's id into its chain.

    PostgreSQL computes the same in its insert trigger: sha256('warroom journal ' || journal_id), in hex.
    """
    return hashlib.sha256(f"warroom journal {journal_id}".encode()).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


MAX_DEPTH = 100   # nesting a file we read may have: Graph's objects are a dozen levels deep


def bounded_json(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads for text from a file: ValueError (one line) for bad JSON, NaN, or nesting beyond max_depth.

    A deeply nested value raises RecursionError in the parser and in every recursive walk after it: it is
    refused here, where it is read.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"JSON nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg}, line {error.lineno} column {error.colno})") from None
    stack, depth = [(value, 1)], 1
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"JSON nested more than {max_depth} levels deep")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# What orjson is asked to leave to `default` (none is given, so it refuses them): subclasses of str, int, dict and
# list, dates and dataclasses, which json encodes its own way or refuses.
_FAST = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
         | orjson.OPT_PASSTHROUGH_DATACLASS)
# A float where a value begins, whatever its digits: orjson writes floats unlike Python's repr (1e16, not 1e+16). With
# digits and minus signs deleted, `e` and `E` read as `.` and `[` as `,`, a number with a fraction or an exponent after
# a key leaves `":.`, one in a list `,.` (a text that is a number is looked at whole). Inside a string the same bytes
# (`\":1.5`, "1,000.5") only send the value the exact way; not `:` alone, which every time of day in a string has.
_FLOAT_SHAPE = bytes.maketrans(b"eE[", b"..,")
_FLOAT_MARKS = ahocorasick_rs.BytesAhoCorasick([b'":.', b",."], matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
_NUMBER_START = b"-0123456789"


def _may_hold_a_float(text: bytes) -> bool:
    return text[:1] in _NUMBER_START or bool(
        _FLOAT_MARKS.find_matches_as_indexes(text.translate(_FLOAT_SHAPE, b"0123456789-")))


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is, no NaN: one text for one value.

    The text is json's (`_CANONICAL`), byte for byte: entries are hashed as stored, and an import compares a copied
    body's text with this encoding. orjson writes the same text several times faster for plain dicts, lists, strings,
    ints up to 64 bits, booleans and null (tests/journal/test_canonical_json.py holds it to json's). Its text is kept
    only when it holds no float and reads back equal to the value: a NaN written as null, a plain enum or a UUID
    written as its value, a tuple read back as a list are not. Anything else, and whatever orjson refuses (a lone
    surrogate, a bigger int, a key that is not a string, a subclass, a date), is json's to encode or refuse.
    """
    try:
        text = orjson.dumps(value, option=_FAST)
        if not _may_hold_a_float(text) and orjson.loads(text) == value:
            return text.decode("utf-8")
    except Exception:  # orjson refused it, or a value's == raised: json decides
        pass
    return _CANONICAL.encode(value)


def canonical_json_of_parsed(text: bytes) -> str | None:
    """`canonical_json(value)` for a value `orjson.loads` made (JSON's own types: no NaN, no lone surrogate), given
    `orjson.dumps(value, option=orjson.OPT_SORT_KEYS)`: that text, read back it is the value, and without a float
    it is json's; None when it may hold one (json writes floats its own way: canonical_json decides)."""
    return None if _may_hold_a_float(text) else text.decode("utf-8")


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def canonical_entry(
    *,
    seq: int,
    incident: str | None,
    kind: str,
    actor: str,
    occurred_at: str,
    discovered_at: str,
    logged_at: str,
    origin: str | None,
    body_text: str,
) -> bytes:
    """The header is the JSON array of the fields, then a newline and the body exactly as stored."""
    try:
        if type(seq) is not int:
            raise TypeError
        # Fast path, same text as canonical_json for an int and strings/nulls: verify runs this a million times.
        header = f"[{seq}" + header_after_seq(incident, kind, actor, occurred_at, discovered_at, logged_at, origin)
    except TypeError:  # a number or a blob where text belongs (a tampered row): the general encoder decides
        header = canonical_json([seq, incident, kind, actor, occurred_at, discovered_at, logged_at, origin])
    return (header + "\n" + body_text).encode("utf-8")


def header_after_seq(incident: str | None, kind: str, actor: str, occurred_at: str, discovered_at: str,
                     logged_at: str, origin: str | None) -> str:
    """A header's text after its number, for text and nulls (TypeError for anything else): what a page of entries
    written together shares, so sealing it writes this once (`seal`)."""
    return (f",{_text_or_null(incident)},{encode_basestring(kind)},{encode_basestring(actor)},"
            f"{encode_basestring(occurred_at)},{encode_basestring(discovered_at)},{encode_basestring(logged_at)},"
            f"{_text_or_null(origin)}]")


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def writable_json(value: Any) -> str:
    """`canonical_json(value)` as text UTF-8 can hold: a lone surrogate in a text or key of Graph's data (.NET's JSON
    can carry one) written as its escape, as the screen shows it (text.writable_data): what a digest of Graph's data is
    taken of (evidence, a hunt's result), as the journal writes any body but an observation's (records.prepare). Data
    without one costs a scan of its text (most is ASCII: one pass in C)."""
    text = canonical_json(value)
    return canonical_json(writable_data(value)) if holds_lone_surrogate(text) else text
