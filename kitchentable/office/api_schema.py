"""The OpenAPI 3.1 description of the sync API, served at /api/v1/openapi.json.

Owns the description only: every path, parameter, body and answer of `office/app.py`, with
the message shapes of `sync/protocol.py` as JSON Schemas (every object closed, integers
bounded, ids and hashes by pattern). Tests hold it to the code from both sides: the
protocol's own messages validate against it, and schemathesis sends what it describes to
the app and finds no server error. Never describes the admin page (HTML for people).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from kitchentable import __version__
from kitchentable.sync.protocol import (
    CHUNK_BYTES,
    FEED_KINDS,
    MAX_ATTACHMENTS,
    MAX_CHANGES_PER_PUSH,
    MAX_COPIES,
    MAX_FILES_PER_BUNDLE,
    MAX_LOG_LINES,
    MAX_PULL_ITEMS,
    MAX_UPLOAD_BYTES,
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


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {"error": NAME, "message": {"type": "string", "minLength": 1, "maxLength": 1000}},
        {"wipe": {"const": True}},
    ),
    "SealedPayload": _object(
        {"algorithm": {"const": SEAL_ALGORITHM}, "recipient": B64, "ephemeral": B64, "sealed": B64}
    ),
    "EnrolRequest": _object(
        {
            "v": V1,
            "code_id": SHA256,
            "label": {"type": "string", "minLength": 1, "maxLength": 80},
            "sign_public": B64,
            "box_public": B64,
            "tls_fingerprint": _nullable(SHA256),
            "proof": B64,
            "signature": B64,
        },
        {"seal_public": {"type": "string", "minLength": 1, "maxLength": 2000}},
    ),
    "EnrolResponse": _object(
        {
            "v": V1,
            "device_id": UUID,
            "token": {"type": "string", "minLength": 1, "maxLength": 128},
            "consultant": {"type": "string", "minLength": 1, "maxLength": 128},
            "office_box_public": B64,
            "office_sign_public": B64,
            "tls_fingerprint": _nullable({"type": "string"}),
        },
        {"certificate": {"type": "string"}, "proof": B64},
    ),
    "Copy": _object({"device_id": UUID, "payload": _ref("SealedPayload")}),
    "Change": _object(
        {
            "v": V1,
            "id": UUID,
            "device_id": UUID,
            "seq": {**COUNT, "minimum": 1},
            "entity": NAME,
            "entity_id": IDENT,
            "base_version": COUNT,
            "last_seen_server_version": COUNT,
            "payload": _ref("SealedPayload"),
            "signature": B64,
        },
        {
            "case_ref": _nullable(IDENT),
            "attachments": {
                "type": "array",
                "items": SHA256,
                "minItems": 1,
                "maxItems": MAX_ATTACHMENTS,
            },
            "copies": {
                "type": "array",
                "items": _ref("Copy"),
                "minItems": 1,
                "maxItems": MAX_COPIES,
            },
        },
    ),
    "PushRequest": _object(
        {
            "v": V1,
            "device_id": UUID,
            # Each change is judged on its own: a malformed one is rejected in the answer.
            "changes": {"type": "array", "items": _ref("Change"), "maxItems": MAX_CHANGES_PER_PUSH},
        }
    ),
    "ChangeResult": _object(
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
    "PushResponse": _object({"v": V1, "results": {"type": "array", "items": _ref("ChangeResult")}}),
    "FeedItem": _object(
        {
            "v": V1,
            "kind": {"enum": list(FEED_KINDS)},
            "item_id": IDENT,
            "device_id": _nullable(UUID),
            "issued_at": {"type": "string", "minLength": 1, "maxLength": 40},
            "content": _nullable({"type": "object"}),
            "payload": _nullable(_ref("SealedPayload")),
            "signature": B64,
        }
    ),
    "PullEntry": {
        "oneOf": [
            _object({"version": {**COUNT, "minimum": 1}, "item": _ref("FeedItem")}),
            _object(
                {
                    "version": {**COUNT, "minimum": 1},
                    "change": _ref("Change"),
                    "status": {"enum": list(STATUSES)},
                    "server_version": {**COUNT, "minimum": 1},
                }
            ),
        ]
    },
    "PullResponse": _object(
        {
            "v": V1,
            "cursor": COUNT,
            "more": {"type": "boolean"},
            "entries": {"type": "array", "items": _ref("PullEntry"), "maxItems": MAX_PULL_ITEMS},
        },
        # Only when the laptop asked (crl=1): an older laptop never gets it.
        {"crl": _ref("RevocationList")},
    ),
    "RevocationList": _object({"der": B64, "issuer": {"type": "string", "minLength": 1}}),
    "LogHead": _object(
        {
            "id": COUNT,
            "chain": SHA256,
            "witness": SHA256,
            "broken_at": _nullable({**COUNT, "minimum": 1}),
            "at": {"type": "string", "minLength": 1, "maxLength": 40},
        }
    ),
    "LogReport": _object(
        {
            "v": V1,
            "device_id": UUID,
            "head": _ref("LogHead"),
            "anchor": _object({"id": COUNT, "witness": SHA256}),
            "last": COUNT,
            "count": {**COUNT, "maximum": MAX_LOG_LINES},
            "lines": _ref("SealedPayload"),
            "signature": B64,
        }
    ),
    "LogAnswer": _object({"v": V1, "held": COUNT}),
    "CertificateRequest": _object(
        {
            "v": V1,
            "device_id": UUID,
            "seal_public": {"type": "string", "minLength": 1, "maxLength": 2000},
            "signature": B64,
        }
    ),
    "CertificateAnswer": _object({"v": V1, "certificate": {"type": "string", "minLength": 1}}),
    "UploadStart": _object(
        {"v": V1, "sha256": SHA256, "size": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}
    ),
    "UploadState": _object(
        {
            "v": V1,
            "upload_id": UUID,
            "chunk_size": {**COUNT, "minimum": 1},
            "received": {"type": "array", "items": COUNT},
            "complete": {"type": "boolean"},
        }
    ),
    "ChunkAnswer": _object({"v": V1, "received": COUNT, "complete": {"type": "boolean"}}),
    "FilesStored": _object(
        {
            "v": V1,
            "stored": {
                "type": "array",
                "maxItems": MAX_FILES_PER_BUNDLE,
                "items": _object(
                    {
                        "sha256": SHA256,
                        "size": {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE_FILE_BYTES},
                    }
                ),
            },
        }
    ),
    "FileStored": _object(
        {
            "v": V1,
            "sha256": SHA256,
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE_FILE_BYTES},
            "complete": {"const": True},
        }
    ),
    "DeviceStatus": _object(
        {"v": V1, "device_id": UUID, "consultant": {"type": "string", "minLength": 1}}
    ),
}

REASONS = {
    400: "The request is not what the protocol allows (the message says what).",
    401: "No token, or a token the office does not know.",
    403: "Refused: a revoked device (with wipe), a used or expired code, another device.",
    404: "No such file or upload.",
    409: "The cursor cannot be continued from: pull everything again (resync=1).",
    413: "Larger than the server accepts.",
    422: "The uploaded bytes do not match their SHA-256.",
    429: "Too many at once from this client (or, at enrolment, too many failed attempts).",
    503: "The server is busy: too many requests at once. Try again later (Retry-After).",
}


def _answers(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    """The answers of an operation; every one may also be 429 or 503 (`limits`)."""
    answers = {"200": ok}
    for status in (*errors, 429, 503):
        answers[str(status)] = {
            "description": REASONS[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return answers


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


AUTH: list[dict[str, list[str]]] = [{"device": []}]
UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": UUID}

PATHS: dict[str, Any] = {
    "/api/v1/enrol": {
        "post": {
            "operationId": "enrol",
            "summary": "Enrol a device with a one-time code (proved, never sent).",
            "security": [],
            "requestBody": _body("EnrolRequest"),
            "responses": _answers(_json("EnrolResponse", "Enrolled."), 400, 403, 413),
        }
    },
    "/api/v1/status": {
        "get": {
            "operationId": "status",
            "summary": "Who this token belongs to.",
            "security": AUTH,
            "responses": _answers(_json("DeviceStatus", "The device."), 401, 403),
        }
    },
    "/api/v1/push": {
        "post": {
            "operationId": "push",
            "summary": "Send changes; the answer judges each one.",
            "security": AUTH,
            "requestBody": _body("PushRequest"),
            "responses": _answers(
                _json("PushResponse", "One result per change."), 400, 401, 403, 413
            ),
        }
    },
    "/api/v1/pull": {
        "get": {
            "operationId": "pull",
            "summary": "What is for this device after the cursor.",
            "security": AUTH,
            "parameters": [
                {"name": "cursor", "in": "query", "required": False, "schema": COUNT},
                {
                    "name": "resync",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["0", "1"]},
                },
                {
                    "name": "crl",
                    "in": "query",
                    "required": False,
                    "description": "1: add the office's revocation list (an addition).",
                    "schema": {"enum": ["0", "1"]},
                },
            ],
            "responses": _answers(
                _json("PullResponse", "Entries in server-version order."), 400, 401, 403, 409
            ),
        }
    },
    "/api/v1/blobs/{sha256}": {
        "get": {
            "operationId": "blob",
            "summary": "A file by its SHA-256 (forms, catalogue, this device's uploads).",
            "security": AUTH,
            "parameters": [{"name": "sha256", "in": "path", "required": True, "schema": SHA256}],
            "responses": _answers(
                {
                    "description": "The file's bytes.",
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                401,
                403,
                404,
            ),
        },
        "put": {
            "operationId": "put_blob",
            "summary": (
                f"A file of at most {MAX_WHOLE_FILE_BYTES // 2**20} MiB in one request, "
                "under its SHA-256 (an addition: an older office answers 405; larger files: "
                "/api/v1/uploads)."
            ),
            "security": AUTH,
            "parameters": [{"name": "sha256", "in": "path", "required": True, "schema": SHA256}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "responses": _answers(
                _json("FileStored", "The office holds the file."), 400, 401, 403, 413, 422
            ),
        },
    },
    "/api/v1/blobs": {
        "post": {
            "operationId": "post_blobs",
            "summary": (
                f"Up to {MAX_FILES_PER_BUNDLE} small files (each at most "
                f"{MAX_WHOLE_FILE_BYTES // 2**20} MiB) in one request, stored in one "
                "transaction: each file as an 8-byte big-endian length and its bytes "
                "(an addition: an older office answers 405)."
            ),
            "security": AUTH,
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "responses": _answers(
                _json("FilesStored", "The office holds the files, in the order sent."),
                400,
                401,
                403,
                413,
            ),
        }
    },
    "/api/v1/uploads": {
        "post": {
            "operationId": "start_upload",
            "summary": "Begin or resume an upload: which chunks the server already holds.",
            "security": AUTH,
            "requestBody": _body("UploadStart"),
            "responses": _answers(_json("UploadState", "The upload."), 400, 401, 403, 413),
        }
    },
    "/api/v1/uploads/{upload_id}/chunks/{index}": {
        "put": {
            "operationId": "put_chunk",
            "summary": f"One chunk ({CHUNK_BYTES} bytes, the last one shorter).",
            "security": AUTH,
            "parameters": [
                UPLOAD_ID,
                {
                    "name": "index",
                    "in": "path",
                    "required": True,
                    "schema": {**COUNT, "maximum": 999999},
                },
                {"name": "X-Content-SHA256", "in": "header", "required": True, "schema": SHA256},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "responses": _answers(
                _json("ChunkAnswer", "Kept; `complete` when it was the last."),
                400,
                401,
                403,
                404,
                413,
                422,
            ),
        }
    },
    "/api/v1/uploads/{upload_id}/complete": {
        "post": {
            "operationId": "complete_upload",
            "summary": "Check the whole file against its SHA-256 and keep it.",
            "security": AUTH,
            "parameters": [UPLOAD_ID],
            "responses": _answers(_json("UploadState", "Complete."), 400, 401, 403, 404, 422),
        }
    },
    "/api/v1/log": {
        "post": {
            "operationId": "log",
            "summary": (
                "The device's access log: its signed head and the lines the office lacks, "
                "sealed to the office (an addition: an older office answers 404)."
            ),
            "security": AUTH,
            "requestBody": _body("LogReport"),
            "responses": _answers(
                _json("LogAnswer", "Kept: the last line the office holds."), 400, 401, 403, 413
            ),
        }
    },
    "/api/v1/certificate": {
        "post": {
            "operationId": "certificate",
            "summary": (
                "A new certificate (one year) for the device's seal key, the key the office "
                "certified before, asked with the device's signature (an addition: an older "
                "office, or one without an online CA, answers 404)."
            ),
            "security": AUTH,
            "requestBody": _body("CertificateRequest"),
            "responses": _answers(
                _json("CertificateAnswer", "The certificate, then its chain up to the root."),
                400,
                401,
                403,
                404,
                413,
            ),
        }
    },
    "/api/v1/timestamp": {
        "post": {
            "operationId": "timestamp",
            "summary": "An RFC 3161 time-stamp over a hash, from the office's own service.",
            "security": AUTH,
            "requestBody": {
                "required": True,
                "content": {
                    "application/timestamp-query": {
                        "schema": {"type": "string", "format": "binary", "maxLength": 4096}
                    }
                },
            },
            "responses": _answers(
                {
                    "description": "A TimeStampResp (DER) with the token.",
                    "content": {
                        "application/timestamp-reply": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                400,
                401,
                403,
                404,
                413,
            ),
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kitchentable office sync API",
            "version": __version__,
            "description": (
                "Protocol version 1 between consultants' laptops and the office server. "
                "Payloads are sealed to the office key and signed by the device; see "
                "docs/sync.md. Every error is {error, message[, wipe]}."
                f" Uploads: at most {MAX_UPLOAD_BYTES // 2**20} MiB per file."
            ),
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"device": {"type": "http", "scheme": "bearer"}},
        },
        "security": AUTH,
    }


async def openapi_endpoint(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())
