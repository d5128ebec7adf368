"""Retry: a command sent again with its Idempotency-Key, after the service was killed and
restarted, answers the first result and makes no second record."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from .conftest import Infra, ServiceProcess, auth, problem_of, unique

SCHEMA = "projects_retry"


def lead(customer: str) -> dict[str, Any]:
    return {
        "customer": customer,
        "need": "Cold-chain tracking",
        "source": "trade show",
        "estimated_value": {"amount": "300000.00", "currency": "CNY"},
    }


async def leads_named(infra: Infra, customer: str) -> int:
    """Records in the event store whose creation names `customer`."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        count: int = await conn.fetchval(
            f'SELECT count(*) FROM "{SCHEMA}".projects_events '
            "WHERE originator_version = 1 AND convert_from(state, 'UTF8') LIKE $1",
            f"%{customer}%",
        )
        return count
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def svc(start_service: Callable[..., ServiceProcess]) -> Iterator[ServiceProcess]:
    # Its own schema and only an API, no worker: nothing it does reaches the shared topic,
    # and killing "the service" mid-command is killing the process that answers HTTP.
    service = start_service("projects", roles=("api",), db_schema=SCHEMA)
    yield service
    service.stop()


async def test_a_retry_after_a_kill_answers_the_first_result_and_records_once(
    svc: ServiceProcess, infra: Infra
) -> None:
    alice = auth(unique("alice"), "sales", "employee")
    customer = unique("ACME")
    key = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=svc.url, timeout=30) as http:
        first = await http.post(
            "/leads", json=lead(customer), headers={**alice, "Idempotency-Key": key}
        )
        assert first.status_code == 201, first.text

    svc.stop(signal.SIGKILL)
    svc.start()

    async with httpx.AsyncClient(base_url=svc.url, timeout=30) as http:
        again = await http.post(
            "/leads", json=lead(customer), headers={**alice, "Idempotency-Key": key}
        )
        assert again.status_code == 201, again.text
        assert again.json() == first.json()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await leads_named(infra, customer) == 1

        other_body = await http.post(
            "/leads", json=lead(customer + " Ltd"), headers={**alice, "Idempotency-Key": key}
        )
        assert other_body.status_code == 422
        problem = problem_of(other_body)
        assert [e["field"] for e in problem["errors"]] == ["header.Idempotency-Key"]

        other_path = await http.post(
            "/market-insights", json=lead(customer), headers={**alice, "Idempotency-Key": key}
        )
        assert other_path.status_code == 422
        assert problem_of(other_path)["errors"][0]["field"] == "header.Idempotency-Key"
        assert await leads_named(infra, customer) == 1

        # Keys are per user: Bob's key of the same value is his own command.
        bob = auth(unique("bob"), "sales", "employee")
        bobs = await http.post(
            "/leads", json=lead(customer), headers={**bob, "Idempotency-Key": key}
        )
        assert bobs.status_code == 201, bobs.text
        assert bobs.json()["id"] != first.json()["id"]
        assert await leads_named(infra, customer) == 2


async def test_concurrent_twins_make_one_record(svc: ServiceProcess, infra: Infra) -> None:
    alice = auth(unique("alice"), "sales", "employee")
    customer = unique("Twins")
    headers = {**alice, "Idempotency-Key": str(uuid.uuid4())}
    async with httpx.AsyncClient(base_url=svc.url, timeout=30) as http:
        answers = await asyncio.gather(
            *(http.post("/leads", json=lead(customer), headers=headers) for _ in range(8))
        )
    created = [a for a in answers if a.status_code == 201]
    assert created, [a.text for a in answers]
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    # A twin may only be asked to retry, never refused or answered with an error.
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert await leads_named(infra, customer) == 1


async def test_a_key_that_is_not_a_safe_token_is_refused_before_anything_runs(
    svc: ServiceProcess, infra: Infra
) -> None:
    alice = auth(unique("alice"), "sales", "employee")
    customer = unique("Refused")
    async with httpx.AsyncClient(base_url=svc.url, timeout=30) as http:
        for key in ("x" * 129, "spaces are not allowed", "ключ", ""):
            r = await http.post(
                "/leads",
                json=lead(customer),
                headers={**alice, "Idempotency-Key": key.encode()},
            )
            assert r.status_code == 422, r.text
            assert problem_of(r)["errors"][0]["field"] == "header.Idempotency-Key"
        spec = (await http.get("/openapi.json")).json()
        submit = spec["paths"]["/leads"]["post"]
        assert "Idempotency-Key" in [p.get("name") for p in submit["parameters"]]
        assert "Idempotency-Key" not in [
            p.get("name") for p in spec["paths"]["/leads"]["get"].get("parameters", [])
        ]
    assert await leads_named(infra, customer) == 0
