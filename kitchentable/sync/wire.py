"""Strict JSON on the wire: parsing, canonical encoding and field checks.

Owns the one canonical encoding that signatures cover (sorted keys, no spaces, ASCII, no
floats) and the strict readers every protocol message goes through, so garbage of any shape
ends in a `ProtocolError` with a stable code and a sentence, never a KeyError or a
traceback. Knows nothing of keys, HTTP or storage (base64 comes from storage.crypto), and
never imports Qt.
"""

from __future__ import annotations

import binascii
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any, NoReturn

# The one base64 helper lives in storage.crypto; re-exported for the protocol's writers.
from kitchentable.storage.crypto import b64, unb64

__all__ = [
    "IDENT",
    "MAX_INT",
    "NAME",
    "ProtocolError",
    "as_object",
    "b64",
    "canonical",
    "exact_keys",
    "fail",
    "get_bytes",
    "get_int",
    "get_optional_str",
    "get_str",
    "get_uuid",
    "parse_json",
]

# Integers beyond 2^53 lose precision in JavaScript-based tools (and some JSON libraries):
# versions and sequence numbers stay below it so every client reads the same number.
MAX_INT = 2**53 - 1
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
IDENT = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class ProtocolError(Exception):
    """A message that does not follow the sync protocol. `code` is stable; `message` is a
    sentence for the log or the status line (never contains payload data)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(message: str, code: str = "malformed") -> NoReturn:
    raise ProtocolError(code, message)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate keys would let a signer and a verifier read different values from the same
    # bytes; JSON allows them, this protocol does not.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            fail(f"The message repeats the field '{key}'.")
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    fail(f"The message contains {name}, which is not valid in this protocol.")


def _no_float(text: str) -> NoReturn:
    # Floats have more than one text form; signed content holds integers and strings only.
    fail("The message contains a decimal number; this protocol uses whole numbers only.")


# Limits of the parser itself, before any field is read: a number has at most as many digits
# as MAX_INT plus a sign (a 5,000-digit one would cost Python's int() and then raise), and
# one text value at most MAX_TEXT characters (the largest sealed payload in base64 fits).
MAX_DIGITS = len(str(MAX_INT)) + 1
MAX_TEXT = 2 * 1024 * 1024


def _small_int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        fail("The message holds a number larger than this protocol allows.")
    return int(text)


def _short_texts(value: object) -> None:
    """Every text in a parsed message (keys too) is at most MAX_TEXT characters."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                fail("The message holds a text longer than this protocol allows.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(data: bytes | str) -> dict[str, Any]:
    """Bytes from the network → a JSON object, or ProtocolError."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            fail("The message is not UTF-8 text.")
    if not data.strip():
        fail("The message is empty.")
    try:
        value = json.loads(
            data,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_no_float,
            parse_int=_small_int,
        )
    except json.JSONDecodeError as exc:
        fail(f"The message is not valid JSON (line {exc.lineno}, column {exc.colno}).")
    except RecursionError:
        fail("The message is nested too deeply.")
    except ValueError:  # anything else the decoder raises: still only a bad message
        fail("The message is not valid JSON.")
    _short_texts(value)
    return as_object(value, "message")


def canonical(value: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: sorted keys, no spaces, ASCII escapes."""
    return canonical_value(value)


# json.dumps with these options builds an encoder at every call; this one is made once (it
# keeps no state between calls, so every thread may use it).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
)


def canonical_value(value: Any) -> bytes:
    """Any JSON value as `canonical` writes it inside an object."""
    return _CANONICAL.encode(value).encode("ascii")


def canonical_parts(value: Mapping[str, Any]) -> dict[str, bytes]:
    """An object's values, each as `canonical` writes it: `joined` makes the whole, so a key
    added afterwards is encoded alone, never the object again."""
    return {key: canonical_value(item) for key, item in value.items()}


def joined(parts: Mapping[str, bytes]) -> bytes:
    """canonical() of the object whose values `parts` holds, encoded (keys are text)."""
    return b"{%s}" % b",".join(
        b"%s:%s" % (_CANONICAL.encode(key).encode("ascii"), parts[key]) for key in sorted(parts)
    )


def as_object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(f"The {what} must be a JSON object.")
    return value


def exact_keys(
    obj: Mapping[str, Any], what: str, required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    # Unknown fields are refused, not ignored: a field the signer meant but the verifier
    # skips is how signed protocols get confused. New fields come with a new version.
    missing = sorted(required - obj.keys())
    if missing:
        fail(f"The {what} lacks the field '{missing[0]}'.")
    unknown = sorted(obj.keys() - required - optional)
    if unknown:
        fail(f"The {what} has an unknown field '{unknown[0]}'.")


def get_str(
    obj: Mapping[str, Any],
    key: str,
    what: str,
    pattern: re.Pattern[str] | None = None,
    max_len: int = 256,
) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        fail(f"The field '{key}' of the {what} must be text.")
    if not value or len(value) > max_len:
        fail(f"The field '{key}' of the {what} must be 1 to {max_len} characters long.")
    if pattern is not None and not pattern.fullmatch(value):
        fail(f"The field '{key}' of the {what} has characters that are not allowed.")
    return value


def get_optional_str(
    obj: Mapping[str, Any], key: str, what: str, pattern: re.Pattern[str] | None = None
) -> str | None:
    if obj.get(key) is None:
        return None
    return get_str(obj, key, what, pattern)


def get_int(obj: Mapping[str, Any], key: str, what: str, minimum: int = 0) -> int:
    value = obj.get(key)
    # bool is an int in Python but not a number on the wire.
    if not isinstance(value, int) or isinstance(value, bool):
        fail(f"The field '{key}' of the {what} must be a whole number.")
    if not minimum <= value <= MAX_INT:
        fail(f"The field '{key}' of the {what} must be between {minimum} and {MAX_INT}.")
    return value


def get_uuid(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = get_str(obj, key, what, max_len=36)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        fail(f"The field '{key}' of the {what} is not a UUID.")
    # One spelling only, so the same change cannot arrive under two ids.
    if str(parsed) != value:
        fail(f"The field '{key}' of the {what} must be a UUID in lower case with hyphens.")
    return value


def get_bytes(
    obj: Mapping[str, Any], key: str, what: str, *, size: int | None = None, max_size: int = 64
) -> bytes:
    value = get_str(obj, key, what, max_len=4 * (max_size // 3 + 1))
    try:
        raw = unb64(value)
    except (binascii.Error, UnicodeEncodeError):
        fail(f"The field '{key}' of the {what} is not valid base64.")
    if size is not None and len(raw) != size:
        fail(f"The field '{key}' of the {what} must hold {size} bytes.")
    return raw
