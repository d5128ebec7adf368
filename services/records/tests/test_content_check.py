"""The upload's type check on the first bytes, however the body arrives in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bizdev_records.api.content import checked
from fastapi.exceptions import RequestValidationError


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _through(media_type: str, *parts: bytes) -> bytes:
    return b"".join([c async for c in checked(_chunks(*parts), media_type)])


@pytest.mark.parametrize(
    "parts",
    [
        (b"%PDF-1.7\nrest",),
        (b"%P", b"DF", b"-1.7", b"\nrest"),
        (b"", b"%PDF-1.7\n", b"", b"rest"),
    ],
)
async def test_a_pdf_passes_whole_however_it_is_cut(parts: tuple[bytes, ...]) -> None:
    assert await _through("application/pdf", *parts) == b"".join(parts)


async def test_bytes_that_do_not_begin_as_the_type_are_refused() -> None:
    with pytest.raises(RequestValidationError):
        await _through("image/png", b"%PDF-1.7\n", b"rest")
    with pytest.raises(RequestValidationError):
        await _through("text/plain", b"MZ\x00\x00binary")
    with pytest.raises(RequestValidationError):
        await _through("application/pdf", b"%PD")  # too short to be one


async def test_short_text_and_nothing_at_all() -> None:
    assert await _through("text/plain", b"ok") == b"ok"
    with pytest.raises(RequestValidationError):
        await _through("text/plain")
