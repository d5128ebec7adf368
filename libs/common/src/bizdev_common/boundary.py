"""The boundary every input crosses: the one set of types for what a client may send, so that
nothing stored today can break a consumer tomorrow. A view written from an event must never
meet a NUL (PostgreSQL text refuses it), a lone surrogate (not encodable as UTF-8), a year
PostgreSQL or Python cannot hold, or a decimal with a billion-digit exponent: such an event is
durable and would be redelivered for ever. So each kind of input is refused here (422 naming
the field) and documented in the OpenAPI document as what it accepts.

- text: `Name`, `Title` (≤ 200), `Line` (≤ 1,000), `Text` (≤ 10,000) and `Note` (≤ 10,000,
  may be empty), `Phone` and `Email`; no C0 control character but tab, CR and LF; the
  required kinds not blank.
  No lone surrogate either (pydantic's constrained `str` refuses them, a plain `str` not).
- money: `MoneyIn`, the amount a JSON string in plain decimal notation, |amount| < 10^15,
  with no more decimals than its currency, an active ISO 4217 code.
- shares: `Percent`, a decimal string from 0 to 100 with at most two decimals (`percent`
  turns it into a Decimal).
- time: `Day` and `Moment` between 1900 and 2200, a moment with its timezone; both strings
  in ISO 8601 form (`DAY_PATTERN`, `MOMENT_PATTERN`, in the document too), never a number
  (pydantic would read 0 or "0.5" as seconds since 1970).
- decimals (in events; what a client sends is `MoneyIn`): finite, |d| < 10^18, at most 18
  decimals.
- events another service published: `refuse_unsafe` holds every value of a consumed event to
  the same rules (no NUL, no lone surrogate, days and moments in range, decimals bounded,
  integers within 64 bits), so a consumer refuses what its producer should never have
  stored, before it stores anything itself.
- lists: `PageParams` with `q`, `limit` ≤ 200, `offset` ≤ 2^31 - 1, `sort` an enum of the
  list's own columns and `cursor` an opaque token of the list's own making (`page_params`;
  readmodel.py decodes it); `Version` for versions; `If-Match` by `IF_MATCH`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, cast

from fastapi import Query
from iso4217 import Currency
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from bizdev_common.domain import MONEY_LIMIT, Money, decimal_places, minor_units

# --- text ----------------------------------------------------------------------------------

_CONTROLS = r"\x00-\x08\x0B\x0C\x0E-\x1F"
SAFE_TEXT = rf"^[^{_CONTROLS}]*$"
"""No C0 control character but tab, LF and CR."""
FILLED_TEXT = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
"""The same, with at least one character that is not white space."""
_UNSAFE = re.compile(rf"[{_CONTROLS}\ud800-\udfff]")
"""A control character, or a lone surrogate: pydantic's constrained `str` refuses those, a
plain `str` field of a model does not."""


@dataclass(frozen=True)
class _Pattern:
    """Documents the pattern a validator enforces, without pydantic enforcing it a second time
    with a message nobody can read."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def _safe(value: str) -> str:
    bad = _UNSAFE.search(value)
    if bad is not None:
        code = ord(bad.group())
        kind = "lone surrogate" if code >= 0xD800 else "control character"
        raise PydanticCustomError(
            kind.replace(" ", "_"),
            f"must not contain the {kind} U+{{code}}",
            {"code": f"{code:04X}"},
        )
    return value


def _filled(value: str) -> str:
    if not _safe(value).strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_filled),
    _Pattern(FILLED_TEXT),
]  # fmt: skip
"""A user id, a department, a person's name."""
Title = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_filled),
    _Pattern(FILLED_TEXT),
]  # fmt: skip
Line = Annotated[
    str, StringConstraints(max_length=1_000), AfterValidator(_safe), _Pattern(SAFE_TEXT)
]
"""A short optional text: an address, a budget line's description."""
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(_filled),
    _Pattern(FILLED_TEXT),
]  # fmt: skip
"""Required prose: a need, a background, a reason."""
Note = Annotated[
    str, StringConstraints(max_length=10_000), AfterValidator(_safe), _Pattern(SAFE_TEXT)
]
"""Optional prose, empty allowed."""
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_safe), _Pattern(SAFE_TEXT)]
Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_safe), _Pattern(SAFE_TEXT)
]
SearchText = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_safe), _Pattern(SAFE_TEXT)
]

# --- shares --------------------------------------------------------------------------------

PERCENT = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
Percent = Annotated[
    str,
    Field(
        pattern=PERCENT,
        description='A percentage as a decimal string, 0 to 100, e.g. "5" or "7.5"',
        examples=["5"],
    ),
]
"""A string, like money's amounts, so that no client's float rounding reaches a rule."""


def percent(value: str) -> Decimal:
    return Decimal(value)


# --- money ---------------------------------------------------------------------------------

AMOUNT_LIMIT = Decimal(10) ** 15
AMOUNT = r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$"
"""Plain decimal notation: no exponent, no sign but minus, at most 4 decimals (the most any
ISO 4217 currency has); the currency may allow fewer."""
CURRENCIES = sorted(c.code for c in Currency if minor_units(c.code) is not None)
"""Active ISO 4217 codes with a minor unit, from the `iso4217` package (the ISO list, with
each currency's minor units; pycountry has the codes but not the minor units)."""
_AMOUNT = re.compile(AMOUNT)


def _amount_is_a_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "money_amount",
            'amount must be a JSON string in plain decimal notation, e.g. "1250000.00"',
        )
    return value


class _Currencies:
    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "enum": CURRENCIES}


class MoneyIn(BaseModel):
    """Money a client sends: `{"amount": "1250000.00", "currency": "CNY"}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Before the amount: the amount's decimals are checked against it.
    currency: Annotated[str, _Currencies] = Field(
        description="An active ISO 4217 currency code", examples=["CNY"]
    )
    amount: Annotated[str, BeforeValidator(_amount_is_a_string), _Pattern(AMOUNT)] = Field(
        description="A decimal string, |amount| < 10^15, with no more decimals than the "
        "currency has (CNY 2, JPY 0, KWD 3)",
        examples=["1250000.00"],
    )

    @field_validator("currency")
    @classmethod
    def _active(cls, v: str) -> str:
        if minor_units(v) is None:
            raise PydanticCustomError(
                "currency", "{code} is not an active ISO 4217 currency code", {"code": v[:10]}
            )
        return v

    @field_validator("amount")
    @classmethod
    def _plain(cls, v: str, info: ValidationInfo) -> str:
        if _AMOUNT.match(v) is None:
            raise PydanticCustomError(
                "money_amount",
                "amount must be plain decimal notation (no exponent), |amount| < 10^15, "
                'at most 4 decimals, e.g. "1250000.00"',
            )
        currency = info.data.get("currency")
        units = minor_units(currency) if currency else None
        if units is not None and decimal_places(Decimal(v)) > units:
            raise PydanticCustomError(
                "money_minor_units",
                "{currency} has {units} decimal places at most",
                {"currency": currency, "units": units},
            )
        return v

    def to_money(self) -> Money:
        return Money(Decimal(self.amount), self.currency)


# --- time ----------------------------------------------------------------------------------

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
_FIRST_MOMENT = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)
_LAST_MOMENT = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_range", "must be between {first} and {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )  # fmt: skip
    return value


def _moment_in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone", "must carry a timezone, e.g. 2026-11-27T10:00:00Z")
    # Compared, not converted: converting 9999-12-31T23:00-05:00 to UTC overflows.
    if not _FIRST_MOMENT <= value < _LAST_MOMENT:
        raise PydanticCustomError(
            "datetime_range", "must be in the years {first} to {last}",
            {"first": FIRST_DAY.year, "last": LAST_DAY.year},
        )  # fmt: skip
    return value.astimezone(UTC)


def _iso(year: str, zone: str) -> tuple[str, str]:
    day = rf"{year}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    return rf"^{day}$", rf"^{day}[Tt ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.,][0-9]+)?)?{zone}$"


_ZONE = r"([Zz]|[+-][0-9]{2}:?[0-9]{2})"
# What the OpenAPI document says: the years FIRST_DAY to LAST_DAY in the pattern (JSON
# Schema's minimum and maximum apply to numbers only), a moment with its zone.
DAY_PATTERN, MOMENT_PATTERN = _iso("(19[0-9]{2}|2[01][0-9]{2}|2200)", _ZONE)
# What is checked before parsing: the form only, so that a year out of range or a missing
# zone is refused with its own message below.
_DAY_FORM, _MOMENT_FORM = _iso("[0-9]{4}", f"{_ZONE}?")


def _written(form: str, example: str) -> Callable[[object], object]:
    """Refuses what is neither a date or moment already nor a string of `form`: numbers,
    which pydantic would read as seconds since 1970."""
    compiled = re.compile(form)

    def check(value: object) -> object:
        if isinstance(value, date) or (isinstance(value, str) and compiled.match(value)):
            return value
        raise PydanticCustomError(
            "date_form", "must be written like {example}", {"example": example}
        )

    return check


Day = Annotated[
    date,
    BeforeValidator(_written(_DAY_FORM, "2026-11-27")),
    AfterValidator(_day_in_range),
    Field(
        description=f"A date from {FIRST_DAY} to {LAST_DAY}",
        json_schema_extra={"pattern": DAY_PATTERN},
    ),
]
Moment = Annotated[
    datetime,
    BeforeValidator(_written(_MOMENT_FORM, "2026-11-27T10:00:00Z")),
    AfterValidator(_moment_in_range),
    Field(
        description=f"ISO 8601 with a timezone, in the years {FIRST_DAY.year}-{LAST_DAY.year}",
        json_schema_extra={"pattern": MOMENT_PATTERN},
    ),
]

# --- decimals ------------------------------------------------------------------------------

DECIMALS_MAX = 18


def _decimal_in_range(value: Decimal) -> Decimal:
    # Finite is not enough: 1E-999999999 is a billion digits once written in plain notation.
    if not value.is_finite() or abs(value) >= MONEY_LIMIT or decimal_places(value) > DECIMALS_MAX:
        raise PydanticCustomError(
            "decimal_range", "must be a finite decimal, |d| < 10^18, at most {places} decimals",
            {"places": DECIMALS_MAX},
        )  # fmt: skip
    return value


# --- versions and lists --------------------------------------------------------------------

VERSION_MAX = 2**63 - 1
Version = Annotated[int, Field(ge=1, le=VERSION_MAX)]
IF_MATCH = r'^(W/)?"?[0-9]{1,18}"?$'
"""`"3"`, `W/"3"` or `3`: the version the client read."""

LIMIT_MAX = 200
OFFSET_MAX = 2**31 - 1
CURSOR_MAX = 2_048
CURSOR = r"^[A-Za-z0-9_-]+$"
"""A cursor is base64url without padding; what it holds is checked where it is decoded."""
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=CURSOR_MAX,
        pattern=CURSOR,
        description=(
            "The `next_cursor` of the previous page: the page after it, as fast at any depth, "
            "with no row missed or repeated when rows are added meanwhile. Same `sort` (and "
            "filters) as that page; not with `offset`"
        ),
    ),
]
"""The `cursor` parameter of a list, in the lists of `page_params` and in those that page
by hand."""


class PageParams(BaseModel):
    """A page of a list, as the list's query reads it."""

    q: str | None = None
    sort: str | None = None
    limit: int = 20
    offset: int = 0
    cursor: str | None = None


def page_params(
    list_name: str, sorts: Sequence[str], *, cursor: bool = True
) -> Callable[..., Awaitable[PageParams]]:
    """The dependency that reads one list's page parameters, `sort` an enum of its columns
    (`col` and `-col`) so that the OpenAPI document says which; `cursor` only for a list
    that pages by cursor (ListQuery's)."""
    members = {f"{c}": c for c in sorts} | {f"{c}_desc": f"-{c}" for c in sorts}
    enum_name = "".join(p.capitalize() for p in re.split(r"[_\W]+", list_name)) + "Sort"
    sort_enum = cast(Any, StrEnum)(enum_name, members)

    async def params(**kwargs: Any) -> PageParams:  # async: no worker thread hop
        sort = kwargs["sort"]
        return PageParams(
            q=kwargs["q"] or None,
            sort=sort.value if sort is not None else None,
            limit=kwargs["limit"],
            offset=kwargs["offset"],
            cursor=kwargs.get("cursor"),
        )

    def param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
        )

    annotated = cast(Any, Annotated)
    params.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            param(
                "q",
                annotated[SearchText | None, Query(description="Text to search for")],
                None,
            ),
            param(
                "sort",
                annotated[sort_enum | None, Query(description="Column; `-column` descending")],
                None,
            ),
            param("limit", annotated[int, Query(ge=1, le=LIMIT_MAX, description="Page size")], 20),
            param(
                "offset",
                annotated[int, Query(ge=0, le=OFFSET_MAX, description="Rows to skip")],
                0,
            ),
        ]
        + (
            [
                param("cursor", CursorQuery, None),
            ]
            if cursor
            else []
        ),
        return_annotation=PageParams,
    )
    return params


# --- what other services publish -----------------------------------------------------------


class Refused(ValueError):
    """A value of a consumed event that does not cross the boundary, and where it sits."""

    def __init__(self, path: str, error: PydanticCustomError) -> None:
        super().__init__(f"{path}: {error.message()}")
        self.path = path
        self.error = error


def refuse_unsafe(event: BaseModel) -> None:
    """Holds every value of a model another service published to the boundary's rules, wherever
    it sits (nested models, lists, dicts and their keys): text safe, days and moments in range,
    moments with a timezone, decimals and integers bounded. Raises `Refused` naming the first
    field at fault (`budget_lines[2].amount.amount`). Lengths are not checked: a tolerant
    reader does not know which kind of text the producer accepted, and no length breaks a
    view's text column."""
    try:
        _walk(event)
    except _At as at:
        path = "".join(p if p.startswith("[") else f".{p}" for p in reversed(at.path))
        raise Refused(path.removeprefix("."), at.error) from None


class _At(Exception):
    """Carries the path out of the walk, built only on the way out of a refusal."""

    def __init__(self, error: PydanticCustomError) -> None:
        self.error = error
        self.path: list[str] = []


def _walk(value: object) -> None:
    kind = type(value)
    walk = _WALKS.get(kind)
    if walk is None:  # once per type: a message's values are of a few types, checked often
        walk = _WALKS[kind] = _walk_for(kind)
    walk(value)


def _leaf(check: Callable[[Any], object]) -> Callable[[Any], None]:
    def walk(value: Any) -> None:
        try:
            check(value)
        except PydanticCustomError as e:
            raise _At(e) from None

    return walk


def _model(value: BaseModel) -> None:
    for name, item in value.__dict__.items():
        try:
            _walk(item)
        except _At as at:
            at.path.append(name)
            raise


def _mapping(value: dict[Any, Any]) -> None:
    for key, item in value.items():
        try:
            _walk(key)
        except _At as at:
            at.path.append(f"[{key!r}] (key)")
            raise
        try:
            _walk(item)
        except _At as at:
            at.path.append(f"[{key!r}]")
            raise


def _items(value: Iterable[Any]) -> None:
    for n, item in enumerate(value):
        try:
            _walk(item)
        except _At as at:
            at.path.append(f"[{n}]")
            raise


def _bigint(value: int) -> int:
    if not -VERSION_MAX - 1 <= value <= VERSION_MAX:
        raise PydanticCustomError("int_range", "must fit in 64 bits (a PostgreSQL bigint)")
    return value


def _nothing(value: object) -> None:
    """Ids, None and the like: nothing in them can break a view."""


_WALK_BY_BASE: tuple[tuple[type | tuple[type, ...], Callable[[Any], None]], ...] = (
    (str, _leaf(_safe)),
    (datetime, _leaf(_moment_in_range)),  # before date: a datetime is a date
    (date, _leaf(_day_in_range)),
    (Decimal, _leaf(_decimal_in_range)),
    (int, _leaf(_bigint)),  # booleans too, harmlessly
    (BaseModel, _model),
    (dict, _mapping),
    ((list, tuple, set, frozenset), _items),
)


def _walk_for(kind: type) -> Callable[[Any], None]:
    return next((walk for base, walk in _WALK_BY_BASE if issubclass(kind, base)), _nothing)


_WALKS: dict[type, Callable[[Any], None]] = {}
