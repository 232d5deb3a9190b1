"""Base64 on the wire (pybase64, for speed) is the standard library's, byte for byte and as
strict: whatever the stdlib refuses with validate=True is refused, whatever it reads is read
the same. Sealed payloads, signatures and files depend on it."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitchentable.storage.crypto import b64, unb64
from kitchentable.sync.wire import ProtocolError, get_bytes

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
texts = st.text(alphabet=ALPHABET, min_size=1, max_size=24) | st.text(
    alphabet=ALPHABET + " \n\r\t-_.:!é\x00", min_size=1, max_size=24
)


def _stdlib(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


@given(st.binary(max_size=300))
def test_encoding_is_the_standard_librarys(data: bytes) -> None:
    assert b64(data) == base64.b64encode(data).decode("ascii")
    assert unb64(b64(data)) == data


@given(texts)
def test_decoding_reads_and_refuses_what_the_standard_library_does(text: str) -> None:
    expected = _stdlib(text)
    if expected is None:
        with pytest.raises((binascii.Error, UnicodeEncodeError, ValueError)):
            unb64(text)
        with pytest.raises(ProtocolError):
            get_bytes({"k": text}, "k", "test")
    else:
        assert unb64(text) == expected
        assert get_bytes({"k": text}, "k", "test") == expected
