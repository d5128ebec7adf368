"""The boundary types: what a client may send, and the answer to what it may not."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from bizdev_common.boundary import (
    AMOUNT,
    CURRENCIES,
    DAY_PATTERN,
    FILLED_TEXT,
    MOMENT_PATTERN,
    SAFE_TEXT,
    Day,
    Moment,
    MoneyIn,
    Name,
    Note,
    PageParams,
    Text,
    page_params,
)
from bizdev_common.domain import Money, RuleViolation, decimal_places, minor_units
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError


class Form(BaseModel):
    name: Name
    text: Text
    note: Note = ""
    day: Day | None = None
    at: Moment | None = None
    value: MoneyIn | None = None


GOOD: dict[str, Any] = {"name": "Zhang Wei", "text": "Line one\n\tindented\r\nline two"}


def refusal(**fields: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as e:
        Form.model_validate({**GOOD, **fields})
    errors = e.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"], errors[0]["msg"]


def test_text_keeps_tabs_and_newlines() -> None:
    assert Form.model_validate(GOOD).text == GOOD["text"]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_text_refuses_c0_controls_naming_the_field(char: str) -> None:
    loc, msg = refusal(name=f"Zhang{char}Wei")
    assert loc == ("name",)
    assert f"U+{ord(char):04X}" in msg
    assert refusal(note=char)[0] == ("note",)


def test_text_refuses_a_lone_surrogate() -> None:
    # Parsed as FastAPI parses a body: json.loads, then validated.
    with pytest.raises(ValidationError) as e:
        Form.model_validate(json.loads('{"name": "x\\ud800", "text": "t"}'))
    assert e.value.errors()[0]["loc"] == ("name",)
    assert refusal(text="\udfff")[0] == ("text",)


def test_required_text_is_not_blank_and_has_a_maximum() -> None:
    assert refusal(name=" \t\n") == (("name",), "must not be blank")
    assert refusal(text="")[0] == ("text",)
    assert refusal(name="x" * 201)[0] == ("name",)
    assert refusal(text="x" * 10_001)[0] == ("text",)
    assert Form.model_validate({**GOOD, "note": "  "}).note == "  "


def test_the_documented_patterns_say_what_the_validators_do() -> None:
    import re

    for pattern, good, bad in (
        (SAFE_TEXT, ["", " ", "a\tb\nc\r"], ["\x00", "a\x1fb"]),
        (FILLED_TEXT, ["a", " a\n"], ["", " \t", "a\x00"]),
        (AMOUNT, ["0", "-1.5", "999999999999999.9999"], ["1e5", "1.", ".5", "+1", "1" * 16]),
    ):
        assert all(re.match(pattern, g) for g in good), pattern
        assert not any(re.match(pattern, b) for b in bad), pattern
    schema = Form.model_json_schema()["properties"]
    assert schema["name"]["pattern"] == FILLED_TEXT
    assert schema["note"]["pattern"] == SAFE_TEXT


def money(amount: Any, currency: str = "CNY") -> tuple[tuple[str | int, ...], str]:
    return refusal(value={"amount": amount, "currency": currency})


def test_money_amount_is_a_plain_decimal_string() -> None:
    form = Form.model_validate({**GOOD, "value": {"amount": "1250000.50", "currency": "CNY"}})
    assert form.value is not None
    assert form.value.to_money() == Money(Decimal("1250000.50"), "CNY")
    loc, msg = money(99.99)
    assert loc == ("value", "amount")
    assert "JSON string" in msg
    assert money(100)[0] == ("value", "amount")
    for amount in ("1e400", "1E+999999999", "NaN", "Infinity", "1_000", " 1", "0x10", ""):
        assert money(amount)[0] == ("value", "amount"), amount


def test_money_amount_is_bounded() -> None:
    assert Form.model_validate(
        {**GOOD, "value": {"amount": "-999999999999999.99", "currency": "CNY"}}
    )
    assert money("1000000000000000")[0] == ("value", "amount")


def test_money_has_no_more_decimals_than_its_currency() -> None:
    assert money("100.005") == (("value", "amount"), "CNY has 2 decimal places at most")
    assert money("100.5", "JPY") == (("value", "amount"), "JPY has 0 decimal places at most")
    for amount, currency in (("100.50", "CNY"), ("100.500", "KWD"), ("7", "JPY")):
        Form.model_validate({**GOOD, "value": {"amount": amount, "currency": currency}})


def test_money_currency_is_an_active_iso_4217_code_with_minor_units() -> None:
    assert money("1", "XYZ") == (
        ("value", "currency"),
        "XYZ is not an active ISO 4217 currency code",
    )
    for code in ("cny", "XAU", "XXX", "CN", ""):
        assert money("1", code)[0] == ("value", "currency"), code
    assert {"CNY", "USD", "EUR", "JPY", "KWD"} <= set(CURRENCIES)
    assert "XAU" not in CURRENCIES
    assert MoneyIn.model_json_schema()["properties"]["currency"]["enum"] == CURRENCIES


def test_domain_money_refuses_what_the_boundary_refuses() -> None:
    for amount, currency, field in (
        (Decimal("100.005"), "CNY", "amount"),
        (Decimal("1E+999999999"), "CNY", "amount"),
        (Decimal(1), "XYZ", "currency"),
        (Decimal(1), "XAU", "currency"),
    ):
        with pytest.raises(RuleViolation) as e:
            Money(amount, currency)
        assert e.value.field == field
    assert Money(Decimal("100.500"), "CNY").amount == Decimal("100.500")
    assert (minor_units("CNY"), minor_units("JPY"), minor_units("XYZ")) == (2, 0, None)
    assert [decimal_places(Decimal(d)) for d in ("1", "1.50", "1.05", "1E+3", "0.000")] == [
        0,
        1,
        2,
        0,
        0,
    ]
    # exactly, however many digits: no rounding to the context's 28
    assert decimal_places(Decimal("1." + "0" * 40 + "1")) == 41


def test_days_and_moments_stay_within_1900_to_2200() -> None:
    assert refusal(day="9999-12-31") == (("day",), "must be between 1900-01-01 and 2200-12-31")
    assert refusal(day="1899-12-31")[0] == ("day",)
    assert Form.model_validate({**GOOD, "day": "2200-12-31"}).day == date(2200, 12, 31)
    assert refusal(at="9999-12-31T23:00:00-05:00")[0] == ("at",)  # would overflow in UTC
    assert refusal(at="2026-01-01T10:00:00") == (
        ("at",),
        "must carry a timezone, e.g. 2026-11-27T10:00:00Z",
    )
    at = Form.model_validate({**GOOD, "at": "2026-01-01T10:00:00+08:00"}).at
    assert at == datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert at is not None
    assert at.tzinfo == UTC


@pytest.mark.parametrize("number", [0, 1.5, "0", "0.5", "1764237600"])
def test_days_and_moments_are_written_out_never_numbers(number: Any) -> None:
    # pydantic alone reads a number as seconds since 1970: ?to=0.5 was a moment in 1970.
    assert refusal(day=number) == (("day",), "must be written like 2026-11-27")
    assert refusal(at=number) == (("at",), "must be written like 2026-11-27T10:00:00Z")


def test_the_date_patterns_in_the_document_hold_the_years_and_the_zone() -> None:
    import re

    schema = Form.model_json_schema()["properties"]
    day, at = (schema[name]["anyOf"][0] for name in ("day", "at"))
    assert (day["format"], day["pattern"]) == ("date", DAY_PATTERN)
    assert (at["format"], at["pattern"]) == ("date-time", MOMENT_PATTERN)
    for good in ("1900-01-01", "2026-11-27", "2200-12-31"):
        assert re.match(DAY_PATTERN, good)
        assert Form.model_validate({**GOOD, "day": good}).day is not None
    for bad in ("1899-12-31", "2201-01-01", "2026-13-01", "2026-11-27T10:00:00Z", "0"):
        assert not re.match(DAY_PATTERN, bad), bad
    for good in ("2026-11-27T10:00:00Z", "2026-11-27 10:00:00.5+08:00", "2026-11-27T10:00+0800"):
        assert re.match(MOMENT_PATTERN, good)
        assert Form.model_validate({**GOOD, "at": good}).at is not None
    for bad in ("2026-11-27T10:00:00", "2026-11-27", "2201-01-01T00:00:00Z"):
        assert not re.match(MOMENT_PATTERN, bad), bad


LIST = page_params("action_item_list", ["due_date", "created_at"])


def list_app() -> TestClient:
    app = FastAPI()

    @app.get("/items")
    def items(page: Annotated[PageParams, Depends(LIST)]) -> dict[str, Any]:
        return page.model_dump()

    return TestClient(app)


def test_page_params_sort_is_an_enum_of_the_lists_columns() -> None:
    client = list_app()
    assert client.get("/items", params={"sort": "-due_date", "q": "acme"}).json() == {
        "q": "acme",
        "sort": "-due_date",
        "limit": 20,
        "offset": 0,
        "cursor": None,
    }
    assert client.get("/items", params={"sort": "secret_column"}).status_code == 422
    parameters = client.app.openapi()["paths"]["/items"]["get"]["parameters"]  # type: ignore[attr-defined]
    sort = next(p for p in parameters if p["name"] == "sort")
    enum = client.app.openapi()["components"]["schemas"]["ActionItemListSort"]  # type: ignore[attr-defined]
    assert "ActionItemListSort" in str(sort["schema"])
    assert set(enum["enum"]) == {"due_date", "created_at", "-due_date", "-created_at"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "a\x00b"}, "q"),
        ({"offset": str(2**63)}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "201"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_page_params_are_bounded(params: dict[str, str], field: str) -> None:
    response = list_app().get("/items", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
