"""Electronic documents: an upload streamed into the content store (its size and SHA-256
recorded, its type checked, up to the upload limit), and its download for those allowed.

Uploading is one request whose body is the file itself, typed by its Content-Type, e.g. from
a browser: `fetch("/records/<id>/content?filename=" + encodeURIComponent(file.name),
{method: "PUT", body: file, headers: {"Content-Type": file.type, Authorization: ...}})`."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from bizdev_common.api import RuntimeDep
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Title
from bizdev_common.commands import CommandRoute
from bizdev_common.middleware import LARGE_BODY
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from bizdev_records.api.common import App, Change, store_of
from bizdev_records.domain import Content
from bizdev_records.settings import DEFAULT_CONTENT_TYPES, RecordsSettings

router = APIRouter(route_class=CommandRoute)

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
"""How a document of each type begins; text has no signature, but no NUL byte either."""
SNIFF_BYTES = 8


def _invalid(where: tuple[str, ...], message: str) -> RequestValidationError:
    """A 422 naming the header or the body at fault, like any other invalid input."""
    return RequestValidationError([{"type": "value_error", "loc": where, "msg": message}])


def media_type_of(request: Request, settings: RecordsSettings) -> str:
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in settings.content_types:
        raise _invalid(
            ("header", "content-type"),
            f"a document is one of {', '.join(settings.content_types)}, not {declared[:100]!r}",
        )
    return declared


def _matches(media_type: str, head: bytes) -> bool:
    signatures = SIGNATURES.get(media_type)
    if signatures is None:
        return b"\x00" not in head
    return any(head.startswith(s) for s in signatures)


async def checked(chunks: AsyncIterator[bytes], media_type: str) -> AsyncIterator[bytes]:
    """The body as it arrives, refused (nothing stored) unless its first bytes are what a
    document of `media_type` begins with, or if it is empty. Chunks pass through as they
    are: only the first few bytes are ever copied."""
    head = b""
    sniffed = False
    async for chunk in chunks:
        if sniffed:
            yield chunk
            continue
        if len(head) + len(chunk) < SNIFF_BYTES:
            head += chunk
            continue
        if not _matches(media_type, head + chunk[: SNIFF_BYTES - len(head)]):
            raise _invalid(("body",), f"the document does not begin as {media_type} does")
        sniffed = True
        if head:
            yield head
        yield chunk
    if not sniffed:
        if not head:
            raise _invalid(("body",), "the document is empty")
        if not _matches(media_type, head):
            raise _invalid(("body",), f"the document does not begin as {media_type} does")
        yield head


class Uploaded(BaseModel):
    id: UUID = Field(description="The record")
    version: int
    size: int = Field(description="Bytes stored")
    sha256: str = Field(description="SHA-256 of the bytes stored, hex")


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.put(
    "/records/{record_id}/content",
    response_model=Uploaded,
    tags=["records"],
    summary="Upload an electronic record's document (its filer or the archivist; not once bound)",
    description="The body is the file itself (no multipart), its Content-Type one of the "
    "configured types (the defaults are listed) and matching how the file begins; "
    "`filename` names it for downloads. Up to the service's upload limit "
    "(max_upload_bytes, 50 MiB by default), streamed into storage; its size and SHA-256 "
    "are recorded. A later upload before binding replaces it. Publishes DocumentUploaded.",
    openapi_extra={
        LARGE_BODY: True,
        "requestBody": {
            "required": True,
            "content": {media_type: _BINARY for media_type in DEFAULT_CONTENT_TYPES},
        },
    },
)
async def upload(
    record_id: UUID,
    request: Request,
    filename: Annotated[Title, Query(description="The file's name, for downloads")],
    actor: CurrentActor,
    rt: RuntimeDep,
    cmd: Change,
) -> Uploaded:
    # Refused before a byte of the body is read: no such record, not allowed, bound.
    await run_in_threadpool(cmd.app.may_attach, actor, record_id, cmd.version)
    media_type = media_type_of(request, cmd.app.records_settings)
    store = store_of(rt)
    stored = await store.write(checked(request.stream(), media_type))
    content = Content(stored.content_id, stored.size, stored.sha256, media_type, filename)
    try:
        result, replaced = await run_in_threadpool(
            cmd.app.attach, actor, record_id, cmd.version, content
        )
    except BaseException:
        await store.delete(stored.content_id)
        raise
    if replaced is not None:
        await store.delete(replaced)
    done = cmd.accepted(result)
    return Uploaded(id=done.id, version=done.version, size=stored.size, sha256=stored.sha256)


@router.get(
    "/records/{record_id}/content",
    response_class=StreamingResponse,
    tags=["records"],
    summary="Download an electronic record's document",
    description="For its department, the archivist, management, the auditor, and whoever "
    "it is lent to. `Repr-Digest` (RFC 9530) carries its SHA-256 as recorded at upload.",
    responses={
        200: {
            "description": "The document, as uploaded",
            "content": {
                **{media_type: _BINARY for media_type in DEFAULT_CONTENT_TYPES},
                "application/octet-stream": _BINARY,
            },
        },
        409: {"description": "The record has no document: none uploaded, or destroyed"},
    },
)
async def download(
    record_id: UUID, actor: CurrentActor, rt: RuntimeDep, app: App
) -> StreamingResponse:
    content = await run_in_threadpool(app.content_of, actor, record_id)
    return StreamingResponse(
        store_of(rt).read(content.content_id),
        media_type=content.media_type,
        headers={
            "Content-Length": str(content.size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(content.filename)}",
            "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(content.sha256)).decode()}:",
        },
    )
