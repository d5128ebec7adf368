"""What a client sends that the services must refuse at the boundary, over HTTP against the
real services, Kafka and PostgreSQL: every input case of issue 7's "What was seen", each with
the answer it must get now. A 422 names the field at fault; nothing refused is stored, so no
view, projector or consumer ever meets it; nothing answers 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from .conftest import ServiceProcess, auth, eventually, problem_of, unique
from .crm_flows import customer_body
from .flows import application_body

REP = auth("rita", "sales", "employee")
BROAD = auth("carol", "board", "employee", "department_head", "management")


def field_refused(response: httpx.Response, field: str) -> dict[str, Any]:
    """422, as a problem whose `errors` name `field`."""
    assert response.status_code == 422, response.text
    problem = problem_of(response)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    return problem


# --- text ----------------------------------------------------------------------------------

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"]


@pytest.mark.parametrize("char", CONTROLS)
async def test_a_control_character_in_a_customer_is_refused_naming_the_field(
    crm_http: httpx.AsyncClient, char: str
) -> None:
    name = unique("ACME")
    r = await crm_http.post("/customers", json=customer_body(name=f"{name}{char}"), headers=REP)
    problem = field_refused(r, "body.name")
    assert f"U+{ord(char):04X}" in problem["detail"]
    contact = {"position": "Buyer", "name": f"Zhang{char}Wei"}
    r = await crm_http.post("/customers", json=customer_body(contacts=[contact]), headers=REP)
    field_refused(r, "body.contacts.0.name")
    # Nothing of it was stored: the customer list never shows it.
    listed = await crm_http.get("/customers", params={"q": name}, headers=REP)
    assert listed.json()["total"] == 0


async def test_after_a_refused_nul_the_customer_views_still_follow(
    crm_http: httpx.AsyncClient,
) -> None:
    """The issue's first finding: a NUL once reached crm's projector and stopped its views."""
    r = await crm_http.post("/customers", json=customer_body(needs="Stock\x00"), headers=REP)
    field_refused(r, "body.needs")
    created = await crm_http.post("/customers", json=customer_body(), headers=REP)
    assert created.status_code == 201, created.text
    await eventually(
        lambda: crm_http.get(
            f"/customers/{created.json()['id']}",
            params={"min_version": created.json()["version"]},
            headers=REP,
        ),
        lambda r: r.status_code == 200,
    )


@pytest.mark.parametrize("char", CONTROLS)
async def test_a_control_character_in_an_application_is_refused_naming_the_field(
    http: httpx.AsyncClient, char: str
) -> None:
    r = await http.post(
        "/applications", json=application_body(background=f"Loss{char}es"), headers=REP
    )
    field_refused(r, "body.background")


async def test_tabs_and_newlines_are_text(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/applications",
        json=application_body(background="Two lines:\r\n\tone\n\ttwo"),
        headers=REP,
    )
    assert r.status_code == 201, r.text


async def test_a_lone_surrogate_is_refused_naming_the_field(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    # Written by hand: a JSON library would not produce the escape of half a character.
    body = (
        b'{"name": "ACME \\ud800", "industry": "Logistics", "channel": "trade_show",'
        b' "needs": "Stock"}'
    )
    json_headers = {**REP, "Content-Type": "application/json"}
    field_refused(
        await crm_http.post("/customers", content=body, headers=json_headers), "body.name"
    )
    body = (
        b'{"title": "\\udfff", "background": "b", "target_customers": "t",'
        b' "preliminary_plan": "p", "expected_revenue": {"amount": "1", "currency": "CNY"}}'
    )
    field_refused(
        await http.post("/applications", content=body, headers=json_headers), "body.title"
    )


async def test_blank_and_overlong_text_is_refused(http: httpx.AsyncClient) -> None:
    field_refused(
        await http.post("/applications", json=application_body(title=" \t "), headers=REP),
        "body.title",
    )
    field_refused(
        await http.post("/applications", json=application_body(title="x" * 201), headers=REP),
        "body.title",
    )


# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "field"),
    [
        ({"amount": 99.99, "currency": "CNY"}, "amount"),  # a JSON number
        ({"amount": 100, "currency": "CNY"}, "amount"),
        ({"amount": "100", "currency": "XYZ"}, "currency"),
        ({"amount": "100.005", "currency": "CNY"}, "amount"),  # CNY has 2 decimals
        ({"amount": "1.5", "currency": "JPY"}, "amount"),  # JPY has none
        ({"amount": "1e400", "currency": "CNY"}, "amount"),
        ({"amount": "1E+999999999", "currency": "CNY"}, "amount"),
        ({"amount": "1000000000000000", "currency": "CNY"}, "amount"),  # 10^15
        ({"amount": "NaN", "currency": "CNY"}, "amount"),
    ],
)
async def test_money_is_refused_naming_the_field(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient, money: dict[str, Any], field: str
) -> None:
    r = await http.post("/applications", json=application_body(expected_revenue=money), headers=REP)
    field_refused(r, f"body.expected_revenue.{field}")
    r = await http.post(
        "/leads",
        json={"customer": "ACME", "need": "n", "source": "fair", "estimated_value": money},
        headers=REP,
    )
    field_refused(r, f"body.estimated_value.{field}")
    r = await crm_http.post(
        f"/customers/{uuid.uuid4()}/proposals",
        json={"title": "Pilot", "description": "d", "value": money},
        headers=REP,
    )
    field_refused(r, f"body.value.{field}")


async def test_money_in_plain_decimals_within_its_currency_is_kept_exactly(
    http: httpx.AsyncClient,
) -> None:
    money = {"amount": "1250000.125", "currency": "KWD"}  # the dinar has 3 decimals
    created = await http.post(
        "/applications", json=application_body(expected_revenue=money), headers=REP
    )
    assert created.status_code == 201, created.text
    seen = await eventually(
        lambda: http.get(
            f"/applications/{created.json()['id']}", params={"min_version": 1}, headers=REP
        ),
        lambda r: r.status_code == 200,
    )
    assert seen.json()["expected_revenue"] == money


# --- dates and times -----------------------------------------------------------------------


async def test_a_date_out_of_range_is_refused(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    r = await crm_http.post(
        "/follow-ups",
        json={"customer_id": str(uuid.uuid4()), "due_on": "9999-12-31", "purpose": "Visit"},
        headers=REP,
    )
    field_refused(r, "body.due_on")
    r = await http.post(
        f"/projects/{uuid.uuid4()}/contacts",
        json={
            "party_kind": "customer",
            "party": "ACME",
            "contact_date": "9999-12-31",
            "summary": "Call",
        },
        headers=REP,
    )
    field_refused(r, "body.contact_date")
    r = await http.post(
        f"/projects/{uuid.uuid4()}/meetings",
        json={
            "kind": "kickoff",
            "title": "Kick-off",
            "meeting_date": "0001-01-01",
            "attendees": [],
        },
        headers=REP,
    )
    field_refused(r, "body.meeting_date")


@pytest.mark.parametrize("number", ["0", "0.5", "1764237600"])
async def test_a_number_is_not_a_date_or_a_moment(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient, number: str
) -> None:
    # Read as seconds since 1970 before: ?to=0.5 counted the complaints up to 1970.
    r = await crm_http.get("/complaints/counts", params={"to": number}, headers=REP)
    field_refused(r, "query.to")
    r = await http.get(f"/projects/{uuid.uuid4()}/as-of", params={"at": number}, headers=REP)
    field_refused(r, "query.at")
    r = await crm_http.post(
        "/follow-ups",
        json={"customer_id": str(uuid.uuid4()), "due_on": float(number), "purpose": "Visit"},
        headers=REP,
    )
    field_refused(r, "body.due_on")


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:00:00-05:00", "2026-01-01T10:00:00", "1899-12-31T00:00:00Z"]
)
async def test_a_moment_out_of_range_or_without_timezone_is_refused(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient, at: str
) -> None:
    r = await http.get(f"/projects/{uuid.uuid4()}/as-of", params={"at": at}, headers=REP)
    field_refused(r, "query.at")
    r = await crm_http.get("/complaints/counts", params={"to": at}, headers=REP)
    field_refused(r, "query.to")


# --- list parameters -----------------------------------------------------------------------


def lists(service: ServiceProcess, parameter: str = "q") -> list[str]:
    """Every list operation of the service, by its OpenAPI document: those that take `q` and
    `parameter`."""
    spec = httpx.get(f"{service.url}/openapi.json").json()
    return [
        path
        for path, item in spec["paths"].items()
        if "get" in item
        and {"q", parameter} <= {p.get("name") for p in item["get"].get("parameters", [])}
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "ACME\x00"}, "query.q"),
        ({"q": "\x1b[2J"}, "query.q"),
        ({"offset": str(2**63)}, "query.offset"),
        ({"offset": str(2**64 + 1)}, "query.offset"),
        ({"offset": "-1"}, "query.offset"),
        ({"limit": "201"}, "query.limit"),
        ({"sort": "password"}, "query.sort"),
        ({"min_version": str(2**63)}, "query.min_version"),
    ],
)
async def test_every_list_refuses_bad_list_parameters(
    projects: ServiceProcess,
    crm: ServiceProcess,
    params: dict[str, str],
    field: str,
) -> None:
    for service in (projects, crm):
        paths = lists(service, field.removeprefix("query."))
        assert len(paths) >= 4
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            for path in paths:
                field_refused(await client.get(path, params=params, headers=REP), field)


async def test_a_filter_with_a_control_character_is_refused(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    field_refused(
        await http.get("/projects", params={"department": "sales\x00"}, headers=REP),
        "query.department",
    )
    field_refused(
        await crm_http.get("/complaints/queue", params={"owner": "\x00"}, headers=REP),
        "query.owner",
    )
    field_refused(
        await crm_http.get("/follow-ups/overdue", params={"offset": str(2**63)}, headers=REP),
        "query.offset",
    )


# --- headers and size ----------------------------------------------------------------------


@pytest.mark.parametrize("incoming", [b"\xff\xfe\xfd", b"caf\xc3\xa9", b"a b", b"x" * 129])
async def test_an_unsafe_correlation_id_is_replaced_never_a_500(
    http: httpx.AsyncClient, incoming: bytes
) -> None:
    health = await http.get("/healthz", headers=[(b"X-Correlation-Id", incoming)])
    assert health.status_code == 200
    assert uuid.UUID(health.headers["x-correlation-id"])
    command = await http.post(
        "/applications",
        json=application_body(),
        headers=[
            *((k.encode(), v.encode()) for k, v in REP.items()),
            (b"X-Correlation-Id", incoming),
        ],
    )
    assert command.status_code == 201, command.text
    replaced = command.headers["x-correlation-id"]
    assert uuid.UUID(replaced)
    history = await http.get(f"/applications/{command.json()['id']}/history", headers=REP)
    assert history.status_code == 200
    refused = await http.post("/applications", json={}, headers=[(b"X-Correlation-Id", incoming)])
    assert problem_of(refused)["correlation_id"] == refused.headers["x-correlation-id"]


async def test_a_safe_correlation_id_is_kept(http: httpx.AsyncClient) -> None:
    r = await http.get("/healthz", headers={"X-Correlation-Id": "order-42:retry.1"})
    assert r.headers["x-correlation-id"] == "order-42:retry.1"


async def test_an_oversized_body_is_refused_with_413(http: httpx.AsyncClient) -> None:
    big = application_body(background="x" * 1_100_000)
    r = await http.post("/applications", json=big, headers=REP)
    assert r.status_code == 413
    assert problem_of(r)["correlation_id"] == r.headers["x-correlation-id"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        yield b'{"title": "'
        for _ in range(120):
            yield b"x" * 10_000
        yield b'"}'

    r = await http.post(
        "/applications",
        content=chunks(),
        headers={**REP, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert problem_of(r)["type"].endswith("/content-too-large")


async def test_oversized_headers_are_refused_with_431(http: httpx.AsyncClient) -> None:
    r = await http.get("/projects", headers={**REP, "X-Padding": "x" * 20_000})
    assert r.status_code == 431
    assert problem_of(r)["correlation_id"] == r.headers["x-correlation-id"]


# --- CORS ----------------------------------------------------------------------------------

FRONTEND = "http://localhost:5173"


@pytest.fixture(scope="module")
def cors_projects(start_service: Callable[..., ServiceProcess]) -> ServiceProcess:
    """projects allowing one frontend origin (the default allows none); its own schema, and
    no background work: only its HTTP edge is under test."""
    return start_service(
        "projects", roles=("api",), cors_origins=f'["{FRONTEND}"]', db_schema="projects_cors"
    )


async def test_cors_preflight_answered_for_an_allowed_origin_only(
    cors_projects: ServiceProcess, http: httpx.AsyncClient
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,if-match",
    }
    async with httpx.AsyncClient(base_url=cors_projects.url) as client:
        allowed = await client.options("/applications", headers={"Origin": FRONTEND, **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == FRONTEND
        assert "if-match" in allowed.headers["access-control-allow-headers"].lower()
        other = await client.options(
            "/applications", headers={"Origin": "https://evil.example", **preflight}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
        # A browser may read a refusal's problem too
        refused = await client.post("/applications", json={}, headers={"Origin": FRONTEND})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == FRONTEND
        assert "x-correlation-id" in refused.headers["access-control-expose-headers"].lower()
    # By default no origin is allowed
    default = await http.options("/applications", headers={"Origin": FRONTEND, **preflight})
    assert "access-control-allow-origin" not in default.headers


# --- the OpenAPI document ------------------------------------------------------------------


async def test_the_openapi_document_says_what_the_boundary_accepts(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    spec = (await http.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    amount = schemas["MoneyIn"]["properties"]["amount"]
    assert (amount["type"], amount["pattern"]) == ("string", r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$")
    assert "CNY" in schemas["MoneyIn"]["properties"]["currency"]["enum"]
    assert schemas["MoneyModel"]["properties"]["amount"]["type"] == "string"
    submit = spec["paths"]["/applications/{application_id}/submit"]["post"]
    if_match = next(p for p in submit["parameters"] if p.get("name") == "if-match")
    # A string or absent: a client generator types it `string`, a fuzzer sends no "null".
    assert (if_match["in"], if_match["required"], if_match["schema"]["type"]) == (
        "header",
        False,
        "string",
    )
    assert if_match["schema"]["pattern"] == r'^(W/)?"?[0-9]{1,18}"?$'
    assert set(submit["responses"]) >= {"401", "403", "404", "409", "422"}
    assert list(submit["responses"]["409"]["content"]) == ["application/problem+json"]
    leads = spec["paths"]["/leads"]["get"]["parameters"]
    sort = next(p for p in leads if p.get("name") == "sort")
    assert "LeadsSort" in str(sort["schema"])
    assert set(schemas["LeadsSort"]["enum"]) == {
        "created_at",
        "customer",
        "-created_at",
        "-customer",
    }
    assert list(spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [
        "text/plain",
        "application/openmetrics-text",
    ]
    metrics = await http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    openmetrics = await http.get(
        "/metrics", headers={"Accept": "application/openmetrics-text;version=1.0.0"}
    )
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")
    crm_spec = (await crm_http.get("/openapi.json")).json()
    post = crm_spec["paths"]["/customers"]["post"]["responses"]
    assert set(post) >= {"201", "400", "401", "403", "409", "413", "422"}
