"""A list's cursor: where its page ended (the list, its sort, the last row's sort value and
id), opaque to clients, so that the next page is an index range from there (readmodel.py)."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
)

from bizdev_common.boundary import Line
from bizdev_common.domain import RuleViolation


class _Key(BaseModel):
    """Where a page ended: the list, its sort, the last row's sort value and id. The value
    keeps its kind, so that it goes back to PostgreSQL as what it came out as."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    list: str
    sort: str
    id: UUID


class _NullKey(_Key):
    kind: Literal["null"]
    value: None = None


class _TextKey(_Key):
    kind: Literal["text"]
    value: Line


class _IntKey(_Key):
    kind: Literal["int"]
    value: Annotated[StrictInt, Field(ge=-(2**63), lt=2**63)]


class _DecimalKey(_Key):
    kind: Literal["decimal"]
    value: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=40)]


class _BoolKey(_Key):
    kind: Literal["bool"]
    value: StrictBool


class _DateKey(_Key):
    kind: Literal["date"]
    value: date


class _MomentKey(_Key):
    kind: Literal["moment"]
    value: datetime


class _UuidKey(_Key):
    kind: Literal["uuid"]
    value: UUID


_CURSOR = TypeAdapter[
    _NullKey | _TextKey | _IntKey | _DecimalKey | _BoolKey | _DateKey | _MomentKey | _UuidKey
](
    Annotated[
        _NullKey | _TextKey | _IntKey | _DecimalKey | _BoolKey | _DateKey | _MomentKey | _UuidKey,
        Field(discriminator="kind"),
    ]
)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    # bool before int and datetime before date: each is a subclass of the other.
    for kind, types in (
        ("bool", bool),
        ("int", int),
        ("text", str),
        ("decimal", Decimal),
        ("moment", datetime),
        ("date", date),
        ("uuid", UUID),
    ):
        if isinstance(value, types):
            return kind
    raise TypeError(f"a list cannot be sorted by a {type(value).__name__} for a cursor")


def encode_cursor(list_name: str, sort: str, value: Any, row_id: UUID) -> str:
    """The cursor of the page after a row: base64url JSON, opaque to clients."""
    key = {"list": list_name, "sort": sort, "kind": _kind(value), "value": value, "id": row_id}
    raw = _CURSOR.dump_json(_CURSOR.validate_python(key))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, list_name: str, sort: str) -> tuple[Any, UUID]:
    """The last row's sort value and id a cursor holds; `RuleViolation` on `cursor` (422) for
    one that is not this list's, not of this sort, or not a cursor at all."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = _CURSOR.validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise RuleViolation(
            "query.cursor", "not a cursor: send back a next_cursor as it came"
        ) from None
    if key.list != list_name:
        raise RuleViolation("query.cursor", f"a cursor of the list {key.list!r}, not of this one")
    if key.sort != sort:
        raise RuleViolation(
            "query.cursor",
            f"a cursor for sort={key.sort}, not sort={sort}: keep the sort of its page",
        )
    return key.value, key.id
