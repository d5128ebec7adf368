"""Key risk indicators on the real Kafka and PostgreSQL, through Kafka only (REGULATIONS 5.3):
complaints filed in crm, an invoice overdue in finance and a budget line overrun in finance
each push their indicator past its threshold and raise exactly one alert in risk, which
raises a risk naming the customer or project by id only, or links the open one kept; a fresh
risk reading the same topics from the beginning raises no alert the first did not."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from bizdev_finance.domain import Budget, Receivable
from bizdev_risk.domain import Kri
from bizdev_risk.published import CONTRACT as RISK

from .conftest import (
    Infra,
    ServiceProcess,
    auth,
    eventually,
    headers_of,
    problem_of,
    read_topic,
    unique,
)
from .conftest import TestClock as Clock
from .crm_flows import CrmPeople, contact_body, receive, register
from .flows import booked, ok
from .planning_flows import Crew, executing_project
from .test_finance_receivables import signed_contract

OFFICER_ID = unique("officer")
OFFICER = auth(OFFICER_ID, "risk", "employee", "risk_officer")


async def alerts_of(
    risk_http: httpx.AsyncClient, indicator: str, scope_id: str, count: int = 1
) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        r = await risk_http.get(
            "/alerts", params={"indicator": indicator, "scope_id": scope_id}, headers=OFFICER
        )
        items: list[dict[str, Any]] = (await ok(r))["items"]
        return items

    return await eventually(fetch, lambda items: len(items) >= count, within=60)


async def breaches_on_topic(infra: Infra, kri_id: uuid.UUID, settle: float = 1.5) -> list[Any]:
    """The KriThresholdBreached events of one indicator's record on risk's topic."""
    await asyncio.sleep(settle)  # a second alert, were there one, has had time to follow

    def mine(records: list[Any]) -> list[Any]:
        found = []
        for r in records:
            h = headers_of(r)
            if h["ce_type"] == "bizdev.risk.KriThresholdBreached.v1":
                event = RISK.parse(h["ce_type"], r.value)
                if event is not None and getattr(event, "kri_id", None) == kri_id:
                    found.append(event)
        return found

    records = await read_topic(infra.kafka_bootstrap, RISK.topic, lambda rs: bool(mine(rs)))
    return mine(records)


async def test_complaints_of_one_customer_past_the_threshold_raise_one_alert(
    crm_http: httpx.AsyncClient, risk_http: httpx.AsyncClient, infra: Infra
) -> None:
    people = CrmPeople()
    name, contact = unique("ACME Logistics"), contact_body()
    customer_id = str((await register(crm_http, people, name=name, contacts=[contact]))["id"])
    kri_id = Kri.create_id("complaints_per_customer", uuid.UUID(customer_id))

    await receive(crm_http, people, customer_id)

    async def kri() -> dict[str, Any] | None:
        r = await risk_http.get("/kris", params={"scope_id": customer_id}, headers=OFFICER)
        items = (await ok(r))["items"]
        return next((k for k in items if k["indicator"] == "complaints_per_customer"), None)

    one = await eventually(kri, lambda k: k is not None, within=60)
    assert one is not None
    assert (one["value"], one["band"]) == (1, "normal")
    assert (
        await ok(await risk_http.get("/alerts", params={"scope_id": customer_id}, headers=OFFICER))
    )["items"] == []

    await receive(crm_http, people, customer_id, severity="low")  # the warning threshold: 2
    [alert] = await alerts_of(risk_http, "complaints_per_customer", customer_id)
    assert alert["state"] == "active"
    assert (alert["threshold"], alert["threshold_value"], alert["value"]) == ("warning", 2, 2)
    assert alert["kri_id"] == str(kri_id)
    assert alert["cause"].startswith("crm/")

    # It raised a risk against the customer, by id only: nothing of crm's personal data.
    risk = await ok(
        await risk_http.get(
            f"/risks/{alert['risk_id']}", params={"min_version": 1}, headers=OFFICER
        )
    )
    assert (risk["scope"], risk["customer_id"], risk["source"]) == ("customer", customer_id, "kri")
    assert risk["category"] == "market"
    assert risk["department"] == people.department
    assert risk["alerts"] == [alert["id"]]
    text = json.dumps(risk)
    assert all(personal not in text for personal in (name, *contact.values()))

    values = await ok(await risk_http.get(f"/kris/{kri_id}/values", headers=OFFICER))
    assert [(v["value"], v["band"]) for v in values] == [(1, "normal"), (2, "warning")]

    # In the risk officer's inbox until acknowledged; then no longer active.
    async def inbox() -> list[dict[str, Any]]:
        r = await risk_http.get(
            "/inbox",
            params={"kind": "alert_to_acknowledge", "record_id": alert["id"]},
            headers=OFFICER,
        )
        return [i for i in (await ok(r))["items"] if i["record_id"] == alert["id"]]

    assert len(await eventually(inbox)) == 1
    elsewhere = await risk_http.get(
        "/inbox", params={"record_id": str(uuid.uuid4())}, headers=OFFICER
    )
    assert (await ok(elsewhere))["items"] == []
    clerk = auth(unique("clerk"), people.department, "employee")
    assert (await risk_http.get("/alerts", headers=clerk)).status_code == 403
    refused = await risk_http.post(
        f"/alerts/{alert['id']}/acknowledge", json={"note": "Seen"}, headers=people.manager
    )
    assert refused.status_code == 403
    done = await ok(
        await risk_http.post(
            f"/alerts/{alert['id']}/acknowledge",
            json={"note": "Called the customer"},
            headers=OFFICER,
        )
    )
    acknowledged = await ok(
        await risk_http.get(
            f"/alerts/{alert['id']}", params={"min_version": done["version"]}, headers=OFFICER
        )
    )
    assert acknowledged["state"] == "acknowledged"
    assert await eventually(inbox, lambda items: items == []) == []

    events = await breaches_on_topic(infra, kri_id)
    assert [str(e.aggregate_id) for e in events] == [alert["id"]]


async def test_an_overdue_receivable_raises_a_credit_alert_for_its_customer(
    crm_http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    risk_http: httpx.AsyncClient,
    clocks: Callable[[str], Clock],
    infra: Infra,
) -> None:
    contract_id, _people = await signed_contract(crm_http, "90000.00")
    fin = auth(unique("fin"), "finance", "employee", "finance")
    receivable_id = Receivable.create_id(uuid.UUID(contract_id))

    async def receivable() -> dict[str, Any] | None:
        r = await finance_http.get(f"/receivables/{receivable_id}", headers=fin)
        return r.json() if r.status_code == 200 else None

    opened = await eventually(receivable, lambda d: d is not None, within=60)
    assert opened is not None
    customer_id = opened["customer_id"]
    # The risk officer already keeps a credit risk against the customer: the alert links it.
    kept = await ok(
        await risk_http.post(
            "/risks",
            json={
                "category": "credit",
                "scope": "customer",
                "customer_id": customer_id,
                "department": opened["department"],
                "title": "Customer's payments slow down",
                "description": "Its last payments came later each time",
                "cause": "Its own customers pay it late",
            },
            headers=OFFICER,
        ),
        201,
    )
    await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={
                "number": unique("FP"),
                "amount": {"amount": "30000.00", "currency": "CNY"},
                "due_on": datetime.now(UTC).date().isoformat(),
            },
            headers=fin,
        ),
        201,
    )
    clock = clocks("finance")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))
        [alert] = await alerts_of(risk_http, "overdue_receivables_per_customer", customer_id)
    finally:
        clock.reset()
    assert (alert["scope"], alert["category"], alert["threshold"]) == (
        "customer",
        "credit",
        "warning",
    )
    assert alert["cause"].startswith(f"finance/{receivable_id}/")
    assert alert["risk_id"] == kept["id"]
    risk = await ok(await risk_http.get(f"/risks/{kept['id']}", headers=OFFICER))
    assert (risk["customer_id"], risk["category"], risk["source"]) == (
        customer_id,
        "credit",
        "person",
    )
    assert risk["alerts"] == [alert["id"]]
    history = await ok(await risk_http.get(f"/risks/{kept['id']}/history", headers=OFFICER))
    assert [h["event"] for h in history] == ["Raised", "AlertLinked"]
    kri_id = Kri.create_id("overdue_receivables_per_customer", uuid.UUID(customer_id))
    assert len(await breaches_on_topic(infra, kri_id)) == 1


async def test_a_budget_line_overrun_raises_an_alert_for_its_project(
    http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    risk_http: httpx.AsyncClient,
    infra: Infra,
) -> None:
    crew = Crew()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    project_id, _plan = await executing_project(http, crew)
    budget_id = Budget.create_id(uuid.UUID(project_id))

    async def budget() -> dict[str, Any] | None:
        r = await finance_http.get(f"/budgets/{budget_id}", headers=fin)
        return r.json() if r.status_code == 200 else None

    draft = await eventually(budget, lambda b: b is not None, within=60)
    assert draft is not None
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "10"}, headers=fin
        )
    )
    marketing = next(x for x in draft["lines"] if x["category"] == "marketing")
    requester = crew.member  # on the project's team
    # Past the line's budget (120000.50), within budget plus contingency: committed; finance's
    # record of its payment posts it, and the line's actual overruns its budget.
    body = {
        "line_id": marketing["line_id"],
        "amount": {"amount": "125000.00", "currency": "CNY"},
        "spent_on": "2026-03-02",
        "vendor": "Expo Hall Ltd",
        "description": "Booth",
    }
    expense = await ok(await booked(finance_http, budget_id, body, requester), 201)
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses/{expense['expense_id']}/pay",
            json={"paid_on": "2026-03-05"},
            headers=fin,
        )
    )
    [alert] = await alerts_of(risk_http, "budget_overruns_per_project", project_id)
    assert (alert["scope"], alert["category"]) == ("project", "operational")
    risk = await ok(await risk_http.get(f"/risks/{alert['risk_id']}", headers=OFFICER))
    assert (risk["project_id"], risk["customer_id"]) == (project_id, None)

    # The project's department head reads it; another department's does not.
    head = auth(unique("head"), crew.department, "employee", "department_head")
    other = auth(unique("head"), unique("dept"), "employee", "department_head")
    assert (await risk_http.get(f"/risks/{alert['risk_id']}", headers=head)).status_code == 200
    assert (await risk_http.get(f"/risks/{alert['risk_id']}", headers=other)).status_code == 403
    listed = await ok(
        await risk_http.get("/risks", params={"project_id": project_id}, headers=other)
    )
    assert listed["items"] == []

    kri_id = Kri.create_id("budget_overruns_per_project", uuid.UUID(project_id))
    assert len(await breaches_on_topic(infra, kri_id)) == 1


async def _all_alert_ids(risk_http: httpx.AsyncClient) -> set[str]:
    found: set[str] = set()
    offset = 0
    while True:
        r = await risk_http.get("/alerts", params={"limit": 200, "offset": offset}, headers=OFFICER)
        page = await ok(r)
        found |= {a["id"] for a in page["items"]}
        if len(page["items"]) < 200:
            return found
        offset += 200


async def _stored_alerts(conn: asyncpg.Connection, schema: str) -> set[str]:
    """The alerts a risk event store holds (Alert.Breached, each alert's first event)."""
    rows = await conn.fetch(
        f'SELECT originator_id FROM "{schema}".risk_events '
        "WHERE topic LIKE '%:Alert.Breached' AND originator_version = 1"
    )
    return {str(r["originator_id"]) for r in rows}


async def test_a_fresh_risk_reading_the_topics_from_the_beginning_raises_no_new_alert(
    crm_http: httpx.AsyncClient,
    risk: ServiceProcess,
    risk_http: httpx.AsyncClient,
    start_service: Callable[..., ServiceProcess],
    infra: Infra,
) -> None:
    # An alert of this test's own, whatever ran before it.
    people = CrmPeople()
    customer_id = str((await register(crm_http, people))["id"])
    for _ in range(2):
        await receive(crm_http, people, customer_id)
    await alerts_of(risk_http, "complaints_per_customer", customer_id)
    first = await _all_alert_ids(risk_http)

    # A second risk on a schema of its own: its consumer groups are new, so it reads crm's,
    # finance's and projects' topics from the beginning into an empty event store. Its relay
    # is off: it must not publish onto the topic the first one's views read.
    schema = unique("risk_replay").replace("-", "_")
    replay = start_service(
        "risk",
        roles=("worker",),
        db_schema=schema,
        relay_enabled="false",
    )
    conn = await asyncpg.connect(infra.database_url)
    try:
        replayed = await eventually(
            lambda: _stored_alerts(conn, schema), lambda ids: ids >= first, within=90
        )
        await asyncio.sleep(3)  # anything still to come from the replay has had time
        replayed = await _stored_alerts(conn, schema)
        # Every alert the replay raised is one the first raised (their ids follow from the
        # indicator, the threshold and which crossing it is): none new.
        extra = replayed - await _all_alert_ids(risk_http)
        assert extra == set(), f"the replay raised alerts the first did not: {extra}"
        assert replayed >= first
    finally:
        await conn.close()
        replay.stop()


async def test_the_risk_officer_tunes_an_indicator_and_its_alerts_name_the_version(
    crm_http: httpx.AsyncClient, risk_http: httpx.AsyncClient
) -> None:
    # An indicator of this test's own (category legal, which no other test's risks are), so
    # that no other test sees its alerts, and a replay on a fresh schema has no such one.
    name = unique("complaints_legal").replace("-", "_").lower()
    boss = auth(unique("boss"), "management", "employee", "management")
    clerk = auth(unique("clerk"), "sales", "employee")
    definition = {
        "title": "Complaints that may end in court",
        "events": ["ComplaintReceived"],
        "category": "legal",
        "window_days": 90,
        "warning": 3,
        "critical": 6,
    }
    new = {**definition, "name": name, "scope": "customer"}
    assert (await risk_http.post("/indicators", json=new, headers=boss)).status_code == 403
    bad = await risk_http.post(
        "/indicators", json={**new, "events": ["MilestoneOverdue"]}, headers=OFFICER
    )
    assert bad.status_code == 422
    assert [e["field"] for e in problem_of(bad)["errors"]] == ["body.events.0"]
    defined = await ok(await risk_http.post("/indicators", json=new, headers=OFFICER), 201)
    assert defined["version"] == 1
    assert (await risk_http.post("/indicators", json=new, headers=OFFICER)).status_code == 409
    listed = await ok(await risk_http.get("/indicators", headers=boss))
    assert {i["name"]: i["version"] for i in listed}[name] == 1
    assert (await risk_http.get("/indicators", headers=clerk)).status_code == 403

    people = CrmPeople()
    customer_id = str((await register(crm_http, people))["id"])

    async def value() -> int | None:
        r = await risk_http.get(
            "/kris", params={"indicator": name, "scope_id": customer_id}, headers=OFFICER
        )
        items = (await ok(r))["items"]
        return int(items[0]["value"]) if items else None

    try:
        await receive(crm_http, people, customer_id)
        assert await eventually(value, lambda v: v == 1, within=60) == 1

        # Tuned: past 1 is a warning, past 2 critical, from now on; a stale If-Match is refused.
        tuned = {**definition, "warning": 1, "critical": 2}
        stale = await risk_http.put(
            f"/indicators/{name}", json=tuned, headers={**OFFICER, "If-Match": '"7"'}
        )
        assert stale.status_code == 409
        refused = await risk_http.put(
            f"/indicators/{name}", json=tuned, headers={**boss, "If-Match": '"1"'}
        )
        assert refused.status_code == 403
        revised = await ok(
            await risk_http.put(
                f"/indicators/{name}", json=tuned, headers={**OFFICER, "If-Match": '"1"'}
            )
        )
        assert revised["version"] == 2
        now = await ok(await risk_http.get(f"/indicators/{name}", headers=OFFICER))
        assert (now["version"], now["warning"], now["defined_by"]) == (2, 1, OFFICER_ID)
        was = await ok(
            await risk_http.get(f"/indicators/{name}", params={"version": 1}, headers=OFFICER)
        )
        assert (was["version"], was["warning"]) == (1, 3)

        # The second complaint is past version 2's critical threshold (under version 1 it was
        # below even the warning): one alert, naming version 2. The warning the first was
        # already past when version 2 took effect raises none.
        await receive(crm_http, people, customer_id, severity="low")
        [alert] = await alerts_of(risk_http, name, customer_id)
        assert (alert["threshold"], alert["threshold_value"], alert["value"]) == ("critical", 2, 2)
        assert alert["kri_definition_version"] == 2
        assert alert["category"] == "legal"
        await asyncio.sleep(1.5)  # a second alert, were there one, has had time to follow
        again = await ok(
            await risk_http.get(
                "/alerts", params={"indicator": name, "scope_id": customer_id}, headers=OFFICER
            )
        )
        assert [a["id"] for a in again["items"]] == [alert["id"]]
    finally:
        # Out of the way of the tests after this one: thresholds no customer reaches.
        current = await ok(await risk_http.get(f"/indicators/{name}", headers=OFFICER))
        await ok(
            await risk_http.put(
                f"/indicators/{name}",
                json={**definition, "window_days": 1, "warning": 100000, "critical": 100001},
                headers={**OFFICER, "If-Match": f'"{current["version"]}"'},
            )
        )
