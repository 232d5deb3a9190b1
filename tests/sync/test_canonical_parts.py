"""Canonical bytes made another way than in one go are the general encoder's byte for byte: a
log line written directly (log_messages.AuditLine.canonical), an object joined from its
encoded parts (wire.joined: a snapshot with the office's case id added). The witness, the
report's sealed lines and a change's payload depend on it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kitchentable.sync.log_messages import GENESIS, AuditLine, encoded, witness
from kitchentable.sync.snapshots import encoded_digest, payload_bytes
from kitchentable.sync.wire import canonical, canonical_parts, canonical_value, joined

texts = st.text(max_size=40)  # any character: quotes, backslashes, controls, non-ASCII
details = st.none() | st.dictionaries(
    texts,
    st.recursive(
        st.none() | st.booleans() | st.integers() | texts,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=6,
    ),
    max_size=4,
)
lines = st.builds(
    AuditLine,
    id=st.integers(min_value=1, max_value=2**53),
    at=texts,
    actor=texts,
    action=texts,
    target=texts,
    case_id=st.none() | texts,
    case_ref=st.none() | texts,
    result=texts,
    origin=texts,
    detail=details,
    sealed_detail=st.booleans(),
)


@given(lines)
def test_a_line_is_written_as_the_general_encoder_writes_it(line: AuditLine) -> None:
    assert line.canonical() == canonical(line.to_wire())
    assert line.canonical(witnessed=True) == canonical(line.witnessed())
    # The shared text is made once, whichever form is asked for first.
    again = replace(line)
    assert again.canonical(witnessed=True) == canonical(line.witnessed())
    assert again.canonical() == canonical(line.to_wire())


def test_a_line_with_a_field_of_another_type_takes_the_general_way() -> None:
    odd: Any = 7
    line = AuditLine(1, "2026-03-02T09:00:00", "anna", "case.open", "case", odd, None, "ok", "app")
    assert line.canonical() == canonical(line.to_wire())


@given(lines)
def test_the_witness_covers_the_line_as_the_general_encoder_writes_it(line: AuditLine) -> None:
    data = GENESIS.encode("ascii") + b"\n" + canonical(line.witnessed())
    assert witness(GENESIS, line) == hashlib.sha256(data).hexdigest()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(texts, json_values, max_size=6), texts, json_values)
def test_an_object_joined_from_its_parts_is_its_canonical_form(
    value: dict[str, Any], key: str, added: Any
) -> None:
    parts = canonical_parts(value)
    assert joined(parts) == canonical(value)
    # A key added afterwards (the office's case id in a snapshot) is encoded alone.
    assert joined({**parts, key: canonical_value(added)}) == canonical({**value, key: added})


@given(st.dictionaries(texts, json_values, max_size=6), texts)
def test_a_case_changes_payload_is_its_canonical_form(
    snapshot: dict[str, Any], office: str
) -> None:
    parts, digest = encoded_digest(snapshot)
    assert digest == hashlib.sha256(canonical(snapshot)).hexdigest()
    payload = {"snapshot": {**snapshot, "office_case_id": office}, "digest": digest}
    assert payload_bytes(parts, digest, office) == canonical(payload)


@given(lines)
def test_a_line_encoded_from_its_fields_is_the_lines_canonical_form(line: AuditLine) -> None:
    # The sync reads the log without making an AuditLine a line (log_messages.encoded).
    fields = (line.id, line.at, line.actor, line.action, line.target, line.case_id)
    rest = (line.case_ref, line.result, line.origin, line.detail, line.sealed_detail)
    assert encoded(*fields, *rest) == (line.canonical(witnessed=True), line.canonical())
    odd: Any = 7  # a field of another type takes the general way
    assert encoded(*fields[:5], odd, *rest) == (
        canonical(replace(line, case_id=odd).witnessed()),
        canonical(replace(line, case_id=odd).to_wire()),
    )
