"""The message shapes of the sync API as JSON Schemas, for its OpenAPI description.

Owns one closed JSON Schema per message of `sync/protocol.py` (every object closed, integers
bounded, ids and hashes by pattern) and the small building blocks they are made of;
`api_schema` puts them under the paths. Never describes a path, never reads a request.
"""

from __future__ import annotations

from typing import Any

from kitchentable.sync.protocol import (
    FEED_KINDS,
    MAX_ATTACHMENTS,
    MAX_CHANGES_PER_PUSH,
    MAX_COPIES,
    MAX_FILES_PER_BUNDLE,
    MAX_LOG_LINES,
    MAX_PULL_ITEMS,
    MAX_WHOLE_FILE_BYTES,
    SEAL_ALGORITHM,
    STATUSES,
)
from kitchentable.sync.wire import MAX_INT

UUID = {
    "type": "string",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
B64 = {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$", "contentEncoding": "base64"}
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
IDENT = {"type": "string", "pattern": "^[A-Za-z0-9._:\\-]{1,128}$"}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
V1 = {"const": 1}


def closed(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


SCHEMAS: dict[str, Any] = {
    "Error": closed(
        {"error": NAME, "message": {"type": "string", "minLength": 1, "maxLength": 1000}},
        {"wipe": {"const": True}},
    ),
    "SealedPayload": closed(
        {"algorithm": {"const": SEAL_ALGORITHM}, "recipient": B64, "ephemeral": B64, "sealed": B64}
    ),
    "EnrolRequest": closed(
        {
            "v": V1,
            "code_id": SHA256,
            "label": {"type": "string", "minLength": 1, "maxLength": 80},
            "sign_public": B64,
            "box_public": B64,
            "tls_fingerprint": nullable(SHA256),
            "proof": B64,
            "signature": B64,
        },
        {"seal_public": {"type": "string", "minLength": 1, "maxLength": 2000}},
    ),
    "EnrolResponse": closed(
        {
            "v": V1,
            "device_id": UUID,
            "token": {"type": "string", "minLength": 1, "maxLength": 128},
            "consultant": {"type": "string", "minLength": 1, "maxLength": 128},
            "office_box_public": B64,
            "office_sign_public": B64,
            "tls_fingerprint": nullable({"type": "string"}),
        },
        {"certificate": {"type": "string"}, "proof": B64},
    ),
    "Copy": closed({"device_id": UUID, "payload": ref("SealedPayload")}),
    "Change": closed(
        {
            "v": V1,
            "id": UUID,
            "device_id": UUID,
            "seq": {**COUNT, "minimum": 1},
            "entity": NAME,
            "entity_id": IDENT,
            "base_version": COUNT,
            "last_seen_server_version": COUNT,
            "payload": ref("SealedPayload"),
            "signature": B64,
        },
        {
            "case_ref": nullable(IDENT),
            "attachments": {
                "type": "array",
                "items": SHA256,
                "minItems": 1,
                "maxItems": MAX_ATTACHMENTS,
            },
            "copies": {
                "type": "array",
                "items": ref("Copy"),
                "minItems": 1,
                "maxItems": MAX_COPIES,
            },
        },
    ),
    "PushRequest": closed(
        {
            "v": V1,
            "device_id": UUID,
            # Each change is judged on its own: a malformed one is rejected in the answer.
            "changes": {"type": "array", "items": ref("Change"), "maxItems": MAX_CHANGES_PER_PUSH},
        }
    ),
    "ChangeResult": closed(
        {"index": COUNT, "status": {"enum": list(STATUSES)}},
        {
            "id": UUID,
            "server_version": COUNT,
            "current_version": COUNT,
            "reason": NAME,
            "message": {"type": "string"},
            "first_status": {"enum": list(STATUSES)},
        },
    ),
    "PushResponse": closed({"v": V1, "results": {"type": "array", "items": ref("ChangeResult")}}),
    "FeedItem": closed(
        {
            "v": V1,
            "kind": {"enum": list(FEED_KINDS)},
            "item_id": IDENT,
            "device_id": nullable(UUID),
            "issued_at": {"type": "string", "minLength": 1, "maxLength": 40},
            "content": nullable({"type": "object"}),
            "payload": nullable(ref("SealedPayload")),
            "signature": B64,
        }
    ),
    "PullEntry": {
        "oneOf": [
            closed({"version": {**COUNT, "minimum": 1}, "item": ref("FeedItem")}),
            closed(
                {
                    "version": {**COUNT, "minimum": 1},
                    "change": ref("Change"),
                    "status": {"enum": list(STATUSES)},
                    "server_version": {**COUNT, "minimum": 1},
                }
            ),
        ]
    },
    "PullResponse": closed(
        {
            "v": V1,
            "cursor": COUNT,
            "more": {"type": "boolean"},
            "entries": {"type": "array", "items": ref("PullEntry"), "maxItems": MAX_PULL_ITEMS},
        },
        # Only when the laptop asked (crl=1): an older laptop never gets it.
        {"crl": ref("RevocationList")},
    ),
    "RevocationList": closed({"der": B64, "issuer": {"type": "string", "minLength": 1}}),
    "LogHead": closed(
        {
            "id": COUNT,
            "chain": SHA256,
            "witness": SHA256,
            "broken_at": nullable({**COUNT, "minimum": 1}),
            "at": {"type": "string", "minLength": 1, "maxLength": 40},
        }
    ),
    "LogReport": closed(
        {
            "v": V1,
            "device_id": UUID,
            "head": ref("LogHead"),
            "anchor": closed({"id": COUNT, "witness": SHA256}),
            "last": COUNT,
            "count": {**COUNT, "maximum": MAX_LOG_LINES},
            "lines": ref("SealedPayload"),
            "signature": B64,
        }
    ),
    "LogAnswer": closed({"v": V1, "held": COUNT}),
    "CertificateRequest": closed(
        {
            "v": V1,
            "device_id": UUID,
            "seal_public": {"type": "string", "minLength": 1, "maxLength": 2000},
            "signature": B64,
        }
    ),
    "CertificateAnswer": closed({"v": V1, "certificate": {"type": "string", "minLength": 1}}),
    "UploadStart": closed(
        {"v": V1, "sha256": SHA256, "size": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}
    ),
    "UploadState": closed(
        {
            "v": V1,
            "upload_id": UUID,
            "chunk_size": {**COUNT, "minimum": 1},
            "received": {"type": "array", "items": COUNT},
            "complete": {"type": "boolean"},
        }
    ),
    "ChunkAnswer": closed({"v": V1, "received": COUNT, "complete": {"type": "boolean"}}),
    "FilesStored": closed(
        {
            "v": V1,
            "stored": {
                "type": "array",
                "maxItems": MAX_FILES_PER_BUNDLE,
                "items": closed(
                    {
                        "sha256": SHA256,
                        "size": {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE_FILE_BYTES},
                    }
                ),
            },
        }
    ),
    "FileStored": closed(
        {
            "v": V1,
            "sha256": SHA256,
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE_FILE_BYTES},
            "complete": {"const": True},
        }
    ),
    "DeviceStatus": closed(
        {"v": V1, "device_id": UUID, "consultant": {"type": "string", "minLength": 1}}
    ),
}
