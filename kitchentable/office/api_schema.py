"""The OpenAPI 3.1 description of the sync API, served at /api/v1/openapi.json.

Owns the description only: every path, parameter, body and answer of `office/app.py`, with
the message shapes of `sync/protocol.py` as JSON Schemas from `api_shapes` (every object
closed, integers bounded, ids and hashes by pattern). Tests hold it to the code from both sides: the
protocol's own messages validate against it, and schemathesis sends what it describes to
the app and finds no server error. Never describes the admin page (HTML for people).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from kitchentable import __version__
from kitchentable.office.api_shapes import COUNT, SCHEMAS, SHA256, UUID, ref
from kitchentable.sync.protocol import (
    CHUNK_BYTES,
    MAX_FILES_PER_BUNDLE,
    MAX_UPLOAD_BYTES,
    MAX_WHOLE_FILE_BYTES,
)

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
            "content": {"application/json": {"schema": ref("Error")}},
        }
    return answers


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


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
