"""The regulations end to end: one business walked through the whole of REGULATIONS.md across
the six services, over their public HTTP APIs only, each cross-service reaction asserted by
the reacting service's own query, and one trace id joining a reaction's spans to its cause.

A lead found by one person becomes an approved project for a customer of crm (§2); its plan
is reviewed and approved (§3) and finance builds the budget from it (§7); a team runs it
(§3.3); a contract is signed in crm and invoiced in finance (§4, §7); the customer complains,
the complaint is escalated under crm's test clock and closed (§4); risk's KRIs fire (§5); an
overspend is held, approved by management and paid (§7); a deviation leads to re-planning and
the budget's next version (§3.4); the quarterly evaluation scores the salesperson and the
lead's finder is rewarded (§8); the project's file is numbered, borrowed, returned and, after
its retention, destroyed with management's approval before a witness (§9)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from bizdev_finance.domain import Budget, Receivable
from bizdev_performance.domain import Evaluation, LeadReward

from .conftest import Collector, ServiceProcess, Span, auth, eventually, unique
from .conftest import TestClock as Clock
from .crm_flows import CrmPeople, analysis, register
from .flows import APPROVAL, REVIEW, booked, draft, ok
from .performance_flows import attainment_of, hr, indicator, join, target
from .planning_flows import Crew, drafted_plan, project_at, review
from .records_flows import file_of, inbox, record_at
from .test_finance_budgets import budget_at, replan
from .test_risk_kris import OFFICER, alerts_of

PRODUCER, CONSUMER = 4, 5  # OTLP SpanKind values


def traced(headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A fresh trace id, and the headers of a request that starts that trace."""
    trace_id = uuid.uuid4().hex
    return trace_id, {**headers, "traceparent": f"00-{trace_id}-{'5' * 16}-01"}


def published_from(collector: Collector, trace_id: str, service: str | None = None) -> set[str]:
    """The spans of this trace whose events a relay published (other than `service`'s): its
    batch's publish span links to each record's creation context, the command's span."""
    return {
        span_id
        for p in collector.linked_to_trace(trace_id)
        if p.kind == PRODUCER and p.service != service
        for t, span_id in p.links
        if t == trace_id
    }


async def reaction_in_trace(collector: Collector, trace_id: str, service: str) -> Span:
    """A consumer span of `service` in this trace that descends from the command of another
    service whose event was published: the reaction continued the trace of the request that
    caused it."""

    def find() -> Span | None:
        spans = collector.trace(trace_id)
        ids = {s.span_id: s for s in spans}
        published = published_from(collector, trace_id, service)
        for consumer in (s for s in spans if s.kind == CONSUMER and s.service == service):
            span: Span | None = consumer
            while span is not None:
                if span.parent_span_id in published:
                    return consumer
                span = ids.get(span.parent_span_id)
        return None

    found = await eventually(find, lambda s: s is not None, within=30)
    assert found is not None
    return found


async def reaction_published_in_trace(collector: Collector, trace_id: str, service: str) -> None:
    """The events `service`'s reaction caused were published from the same trace: a publish
    of `service` links to a span of this trace that descends from its consumer span."""

    def find() -> Span | None:
        spans = collector.trace(trace_id)
        ids = {s.span_id: s for s in spans}
        for publish in collector.linked_to_trace(trace_id):
            if publish.kind != PRODUCER or publish.service != service:
                continue
            for t, span_id in publish.links:
                span: Span | None = ids.get(span_id) if t == trace_id else None
                while span is not None:
                    if span.kind == CONSUMER and span.service == service:
                        return publish
                    span = ids.get(span.parent_span_id)
        return None

    found = await eventually(find, lambda s: s is not None, within=30)
    assert found is not None, [(s.service, s.name, s.kind) for s in collector.trace(trace_id)]


async def projection_linked(collector: Collector, trace_id: str, service: str) -> Span:
    """A batch consumer span of `service` (a projector: it starts a trace of its own, by
    OpenTelemetry's convention) linking to a published command of this trace."""

    def find() -> Span | None:
        published = published_from(collector, trace_id)
        for consumer in collector.linked_to_trace(trace_id):
            linked = {span_id for _, span_id in consumer.links}
            if consumer.service == service and consumer.kind == CONSUMER and linked & published:
                return consumer
        return None

    found = await eventually(find, lambda s: s is not None, within=30)
    assert found is not None
    return found


def quarter_of(day: date) -> tuple[str, date]:
    """`2026-Q4` and the first day of the next quarter."""
    quarter = (day.month - 1) // 3 + 1
    nxt = date(day.year + 1, 1, 1) if quarter == 4 else date(day.year, quarter * 3 + 1, 1)
    return f"{day.year}-Q{quarter}", nxt


async def test_a_business_walks_through_the_whole_regulations(
    projects: ServiceProcess,
    crm: ServiceProcess,
    finance: ServiceProcess,
    risk: ServiceProcess,
    performance: ServiceProcess,
    records: ServiceProcess,
    clocks: Callable[[str], Clock],
    collector: Collector,
) -> None:
    async with (
        httpx.AsyncClient(base_url=projects.url, timeout=30) as http,
        httpx.AsyncClient(base_url=crm.url, timeout=30) as crm_http,
        httpx.AsyncClient(base_url=finance.url, timeout=30) as finance_http,
        httpx.AsyncClient(base_url=risk.url, timeout=30) as risk_http,
        httpx.AsyncClient(base_url=performance.url, timeout=30) as perf_http,
        httpx.AsyncClient(base_url=records.url, timeout=30) as records_http,
    ):
        await _walk(
            http, crm_http, finance_http, risk_http, perf_http, records_http, clocks, collector
        )


async def _walk(
    http: httpx.AsyncClient,
    crm_http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    risk_http: httpx.AsyncClient,
    perf_http: httpx.AsyncClient,
    records_http: httpx.AsyncClient,
    clocks: Callable[[str], Clock],
    collector: Collector,
) -> None:
    today = datetime.now(UTC).date()
    crew = Crew()
    sales = CrmPeople()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    officer = hr()
    archivist_id = unique("archivist")
    archivist = auth(archivist_id, "archives", "employee", "archivist")
    witness_id = unique("witness")

    # §4.1 The customer, registered in crm by the salesperson.
    customer_id = str((await register(crm_http, sales))["id"])

    # §2 A lead, found by one person, becomes an approved project for that customer.
    finder_id = unique("finder")
    finder = auth(finder_id, crew.department, "employee")
    lead = await ok(
        await http.post(
            "/leads",
            json={
                "customer": "ACME Logistics",
                "need": "Stock tracking",
                "source": "trade show",
                "estimated_value": {"amount": "800000", "currency": "CNY"},
            },
            headers=finder,
        ),
        201,
    )
    people = crew.people
    app_id = (await draft(http, people, lead_id=lead["id"], customer_id=customer_id))["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    approval_trace, approving = traced(crew.manager)
    approval = await ok(
        await http.post(
            f"/applications/{app_id}/approve",
            json={**APPROVAL, "comments": "Go ahead"},
            headers=approving,
        )
    )
    project_id = str(approval["project_id"])

    # crm: the project joins the customer's dealings.
    async def customer() -> dict[str, Any]:
        r = await crm_http.get(
            f"/customers/{customer_id}", params={"min_version": 1}, headers=sales.head
        )
        return await ok(r)

    dealt = await eventually(
        customer, lambda c: any(d["project_id"] == project_id for d in c["dealings"]), within=60
    )
    [dealing] = dealt["dealings"]
    assert (dealing["department"], dealing["project_name"]) == (
        crew.department,
        "Smart warehouse for ACME",
    )
    # records: the project's file opened, the approval filed in it.
    project_file = await eventually(
        lambda: file_of(records_http, archivist, project_id),
        lambda f: any(r["source"] == "projects.ApplicationApproved" for r in f["records"]),
        within=60,
    )
    assert (project_file["category"], project_file["department"]) == ("project", crew.department)
    # performance (§8.4): the lead's finder rewarded, approved by who approved the project.
    reward_id = str(LeadReward.create_id(uuid.UUID(lead["id"])))

    async def rewards() -> list[dict[str, Any]]:
        r = await perf_http.get("/lead-rewards", params={"finder": finder_id}, headers=finder)
        return list((await ok(r))["items"])

    [reward] = await eventually(rewards, within=60)
    assert (reward["id"], reward["state"], reward["project_id"]) == (
        reward_id,
        "granted",
        project_id,
    )
    assert reward["amount"] == {"amount": "5000.00", "currency": "CNY"}
    assert reward["approved_by"] == crew.manager_id
    # One trace joins the approval request to each reaction it caused.
    for service in ("crm", "records", "performance"):
        await reaction_in_trace(collector, approval_trace, service)
        await reaction_published_in_trace(collector, approval_trace, service)

    # §3.2 The team: a team lead appointed by management, a member added by the lead.
    await ok(
        await http.put(
            f"/projects/{project_id}/team-lead",
            json={"user_id": crew.lead_id, "responsibilities": "Runs the team"},
            headers=crew.manager,
        )
    )
    await ok(
        await http.post(
            f"/projects/{project_id}/members",
            json={"user_id": crew.member_id, "responsibilities": "Sensors"},
            headers=crew.lead,
        )
    )

    # §3.1 The plan: drafted, submitted, passed by both departments' reviews.
    plan_id = await drafted_plan(http, crew, project_id)
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    await review(http, plan_id, crew.head)
    plan_trace, reviewing = traced(crew.finance_head)
    last = await review(http, plan_id, reviewing)
    plan = await ok(
        await http.get(
            f"/plans/{plan_id}", params={"min_version": last["version"]}, headers=crew.auditor
        )
    )
    assert plan["state"] == "approved"

    # §7.1 finance: PlanApproved opened a draft budget with the plan's lines.
    budget_id = Budget.create_id(uuid.UUID(project_id))
    budget = await budget_at(finance_http, budget_id, fin, lambda b: True)
    assert (budget["state"], budget["budget_version"], budget["plan_revision"]) == ("draft", 1, 1)
    assert (budget["project_name"], budget["department"]) == (
        "Smart warehouse for ACME",
        crew.department,
    )
    assert sorted((x["line_id"], x["budget"]["amount"]) for x in budget["lines"]) == sorted(
        (b["line_id"], b["amount"]["amount"]) for b in plan["budget_lines"]
    )
    # records: the approved plan filed in the project's file.
    await eventually(
        lambda: file_of(records_http, archivist, project_id),
        lambda f: any(r["source"] == "projects.PlanApproved" for r in f["records"]),
        within=60,
    )
    for service in ("finance", "records"):
        await reaction_in_trace(collector, plan_trace, service)
        # What the reaction caused (BudgetOpened, RecordFiled) is published in that trace too.
        await reaction_published_in_trace(collector, plan_trace, service)
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "10"}, headers=fin
        )
    )

    # §3.3 The team runs it: progress on the first milestone, recorded by the lead.
    first = plan["milestones"][0]["id"]
    progressed = await ok(
        await http.post(
            f"/projects/{project_id}/milestones/{first}/progress",
            json={"percent": 40},
            headers=crew.lead,
        )
    )
    dashboard = await ok(
        await http.get(
            f"/projects/{project_id}/dashboard",
            params={"min_version": progressed["version"]},
            headers=crew.member,
        )
    )
    assert dashboard["project"]["team_lead"] == crew.lead_id
    assert [m["percent"] for m in dashboard["milestones"]] == [40, 0]
    # performance: the team as projects formed it (TeamLeadAppointed, TeamMemberAdded).
    [team] = await eventually(
        lambda: _listed(
            perf_http.get("/teams", params={"project_id": project_id}, headers=crew.member)
        ),
        lambda t: bool(t) and len(t[0]["members"]) == 2,
        within=60,
    )
    assert team["members"] == [
        {"member": crew.lead_id, "lead": True},
        {"member": crew.member_id, "lead": False},
    ]
    # §6 A progress meeting's minutes: records files them in the project's file.
    meeting = await ok(
        await http.post(
            f"/projects/{project_id}/meetings",
            json={
                "kind": "progress",
                "title": "Pilot review",
                "meeting_date": today.isoformat(),
                "attendees": [crew.lead_id, crew.member_id],
            },
            headers=crew.lead,
        ),
        201,
    )
    await ok(
        await http.post(
            f"/meetings/{meeting['id']}/minutes",
            json={"minutes": "Pilot on track", "attendees": [crew.lead_id, crew.member_id]},
            headers=crew.lead,
        )
    )
    project_file = await eventually(
        lambda: file_of(records_http, archivist, project_id),
        lambda f: "projects.MeetingMinutesRecorded" in {r["source"] for r in f["records"]},
        within=60,
    )
    assert "projects.PlanApproved" in {r["source"] for r in project_file["records"]}
    # The review opinion, given before the project existed, is in the application's own
    # file, whose active life the approval ended (the project's file continues it).
    application_file = await eventually(
        lambda: file_of(records_http, archivist, app_id),
        lambda f: f["retention_ends_on"] is not None,
        within=60,
    )
    assert [r["source"] for r in application_file["records"]] == ["projects.ApplicationReviewed"]
    # The project's file leads to it: its opening record names the application.
    [opening] = [r for r in project_file["records"] if r["source"] == "projects.ProjectOpened"]
    opened_doc = await ok(await records_http.get(f"/records/{opening['id']}", headers=archivist))
    assert opened_doc["document"]["application_id"] == app_id
    assert opened_doc["document"]["customer_id"] == customer_id

    # §4.3 A contract drafted by the salesperson, signed by the department head in crm...
    contract = await ok(
        await crm_http.post(
            "/contracts",
            json={
                "customer_id": customer_id,
                "number": unique("HT"),
                "title": "Warehouse pilot",
                "value": {"amount": "480000.00", "currency": "CNY"},
                "project_id": project_id,
            },
            headers=sales.rep,
        ),
        201,
    )
    sign_trace, signing = traced(sales.head)
    await ok(
        await crm_http.post(
            f"/contracts/{contract['id']}/sign",
            json={"signed_on": today.isoformat()},
            headers=signing,
        )
    )
    # ... opens a receivable in finance, credited to the salesperson ...
    receivable_id = Receivable.create_id(uuid.UUID(contract["id"]))
    receivable = (
        await eventually(
            lambda: finance_http.get(f"/receivables/{receivable_id}", headers=fin),
            lambda r: r.status_code == 200,
            within=60,
        )
    ).json()
    assert receivable["value"] == {"amount": "480000.00", "currency": "CNY"}
    assert receivable["salesperson"] == sales.rep_id
    assert (receivable["customer_id"], receivable["project_id"]) == (customer_id, project_id)
    # ... and a contract file in records.
    contract_file = await file_of(records_http, archivist, contract["id"])
    assert contract_file["category"] == "contract"
    for service in ("finance", "records"):
        await reaction_in_trace(collector, sign_trace, service)
        await reaction_published_in_trace(collector, sign_trace, service)
    await projection_linked(collector, sign_trace, "performance")  # the salesperson's sales
    # §7.3 Invoiced in finance: revenue recorded. Unpaid past its due date (finance's test
    # clock), the receivable is overdue and risk's credit KRI of the customer fires.
    await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={
                "number": unique("FP"),
                "amount": {"amount": "200000.00", "currency": "CNY"},
                "due_on": today.isoformat(),
            },
            headers=fin,
        ),
        201,
    )
    finance_clock = clocks("finance")
    try:
        finance_clock.set(datetime.now(UTC) + timedelta(days=2))
        [unpaid] = await alerts_of(risk_http, "overdue_receivables_per_customer", customer_id)
    finally:
        finance_clock.reset()
    assert (unpaid["threshold"], unpaid["value"]) == ("warning", 1)
    assert unpaid["cause"].startswith("finance/")

    # §4.4 The customer complains; unanswered past its response deadline (crm's test clock)
    # the complaint is escalated; then assigned, answered, resolved and closed.
    complaint_trace, complaining = traced(sales.rep)
    complaint = await ok(
        await crm_http.post(
            "/complaints",
            json={
                "customer_id": customer_id,
                "channel": "phone",
                "severity": "critical",
                "subject": "Sensors offline",
                "description": "Half the pilot warehouse went dark for a day",
            },
            headers=complaining,
        ),
        201,
    )
    complaint_path = f"/complaints/{complaint['id']}"

    async def complaint_view() -> dict[str, Any]:
        r = await crm_http.get(
            complaint_path, params={"min_version": complaint["version"]}, headers=sales.rep
        )
        return await ok(r)

    received = await complaint_view()
    crm_clock = clocks("crm")
    try:
        crm_clock.set(datetime.fromisoformat(received["response_due_at"]) + timedelta(minutes=1))
        escalated = await eventually(complaint_view, lambda c: c["escalated"], within=30)
    finally:
        crm_clock.reset()
    assert escalated["state"] == "received"
    await ok(
        await crm_http.post(
            f"{complaint_path}/assign", json={"owner": sales.owner_id}, headers=sales.head
        )
    )
    close_trace, closing_it = traced(sales.owner)
    for step, body in [
        ("respond", {"proposal": "Replace the gateway"}),
        ("resolve", {"resolution": "Gateway replaced"}),
        ("close", analysis(confirmed_on=today.isoformat())),
    ]:
        who = closing_it if step == "close" else sales.owner
        done = await ok(await crm_http.post(f"{complaint_path}/{step}", json=body, headers=who))
    closed = await eventually(
        lambda: crm_http.get(
            complaint_path, params={"min_version": done["version"]}, headers=sales.rep
        ),
        lambda r: r.status_code == 200,
    )
    assert closed.json()["state"] == "closed"

    # §5.3 risk: the escalation fired the customer's KRI; an alert raised a risk by id only.
    [alert] = await alerts_of(risk_http, "escalated_complaints_per_customer", customer_id)
    assert (alert["threshold"], alert["value"]) == ("warning", 1)
    assert alert["cause"].startswith("crm/")
    raised = await ok(
        await risk_http.get(
            f"/risks/{alert['risk_id']}", params={"min_version": 1}, headers=OFFICER
        )
    )
    assert (raised["scope"], raised["customer_id"]) == ("customer", customer_id)
    # One complaint counted, below the warning threshold of complaints per customer.
    assert await _kri(risk_http, customer_id, "complaints_per_customer") == (1, "normal")
    # records: the closed complaint filed in the customer's file (opened by its registration).
    customer_file = await eventually(
        lambda: file_of(records_http, archivist, customer_id),
        lambda f: "crm.ComplaintClosed" in {r["source"] for r in f["records"]},
        within=60,
    )
    assert customer_file["category"] == "customer"
    await reaction_in_trace(collector, complaint_trace, "risk")
    await reaction_in_trace(collector, close_trace, "records")

    # §7.2 An overspend: held, in management's inbox, approved, then paid (posted).
    marketing = next(x for x in budget["lines"] if x["category"] == "marketing")
    requester = crew.member  # on the team: the project's people book its spending

    async def spend(amount: str, **why: str) -> dict[str, Any]:
        body = {
            "line_id": marketing["line_id"],
            "amount": {"amount": amount, "currency": "CNY"},
            "spent_on": today.isoformat(),
            "vendor": "Expo Hall Ltd",
            "description": "Booth",
            **why,
        }
        return await ok(await booked(finance_http, budget_id, body, requester), 201)

    within = await spend("132000.55")  # the budget plus its 10 % contingency
    held = await spend("500.00", reason="Power for the booth", necessity="No booth without it")
    boss_id = unique("boss")
    boss = auth(boss_id, "management", "employee", "management")

    async def to_decide() -> list[dict[str, Any]]:
        r = await finance_http.get(
            "/inbox",
            params={"wait_for": str(budget_id), "min_version": held["version"]},
            headers=boss,
        )
        return [i for i in (await ok(r))["items"] if i["record_id"] == str(budget_id)]

    [decision] = await eventually(to_decide)
    assert decision["kind"] == "overspend_to_decide"
    expenses = f"/budgets/{budget_id}/expenses"
    await ok(await finance_http.post(f"{expenses}/{held['expense_id']}/approve", headers=boss))
    pay_trace, paying = traced(fin)
    for expense in (within, held):
        paid = await ok(
            await finance_http.post(
                f"{expenses}/{expense['expense_id']}/pay",
                json={"paid_on": today.isoformat()},
                headers=paying,
            )
        )
    after = await budget_at(finance_http, budget_id, fin, lambda b: b["version"] >= paid["version"])
    line = next(x for x in after["lines"] if x["line_id"] == marketing["line_id"])
    assert (line["committed"]["amount"], line["actual"]["amount"]) == ("0.00", "132500.55")
    # risk: the line's overrun (finance's BudgetLineOverrun) fired the project's cost KRI.
    [overrun] = await alerts_of(risk_http, "budget_overruns_per_project", project_id)
    assert overrun["cause"].startswith("finance/")
    cost_risk = await ok(
        await risk_http.get(
            f"/risks/{overrun['risk_id']}", params={"min_version": 1}, headers=OFFICER
        )
    )
    assert (cost_risk["scope"], cost_risk["project_id"]) == ("project", project_id)
    assert cost_risk["department"] == crew.department  # risk learnt it from ProjectOpened
    # The payment's trace continues into risk's reaction to the overrun; performance's views,
    # which count the cost against the team's profit, link to the payment's publish.
    await reaction_in_trace(collector, pay_trace, "risk")
    await reaction_published_in_trace(collector, pay_trace, "risk")  # KriThresholdBreached
    await projection_linked(collector, pay_trace, "performance")

    # §3.4 A deviation reported, acknowledged with re-planning: the plan's revision 2 is
    # approved, and finance opens the budget's next version from it.
    deviation_trace, reporting = traced(crew.lead)
    report = await ok(
        await http.post(
            f"/projects/{project_id}/deviations",
            json={
                "deviation": "Rollout slips a quarter",
                "cause": "Sensor supplier late",
                "adjusted_strategy": "A second supplier; trade shows a year longer",
            },
            headers=reporting,
        ),
        201,
    )

    # Escalated to management: it waits in management's inbox until acknowledged.
    async def to_acknowledge() -> list[dict[str, Any]]:
        page = await ok(
            await http.get(
                "/inbox",
                params={"kind": "deviation_acknowledgement", "limit": 200},
                headers=crew.manager,
            )
        )
        return [i for i in page["items"] if i["record_id"] == report["id"]]

    [item] = await eventually(to_acknowledge)
    assert item["link"] == f"/deviations/{report['id']}/acknowledge"
    await reaction_in_trace(collector, deviation_trace, "risk")
    await replan(http, crew, project_id, plan, report["id"])
    second = await budget_at(finance_http, budget_id, fin, lambda b: b["budget_version"] == 2)
    assert (second["state"], second["plan_revision"]) == ("draft", 2)
    assert [v["budget_version"] for v in second["versions"]] == [1, 2]
    # risk: the deviation counted against the project (DeviationReported).
    assert await _kri(risk_http, project_id, "deviations_per_project") == (1, "normal")

    # §8.3 The salesperson's attainment comes from the contract (crm) and the revenue
    # invoiced (finance), in the quarter evaluated.
    period, next_quarter = quarter_of(today)
    await join(perf_http, officer, sales.rep_id, sales.department)
    sold = await indicator(perf_http, officer, "sales")
    await target(perf_http, officer, sold, sales.rep_id, period, "480000")
    revenue = await indicator(perf_http, officer, "sales", measure="revenue")
    await target(perf_http, officer, revenue, sales.rep_id, period, "400000")
    signed = await attainment_of(
        perf_http, officer, sold, sales.rep_id, period, lambda r: r["facts"] >= 1
    )
    assert (signed["actual"], Decimal(signed["attainment"])) == ("480000.00", Decimal(100))
    invoiced = await attainment_of(
        perf_http, officer, revenue, sales.rep_id, period, lambda r: r["facts"] >= 1
    )
    assert (invoiced["actual"], Decimal(invoiced["attainment"])) == ("200000.00", Decimal(50))
    # The project's team: its profit is the revenue invoiced less the expenses paid.
    profit = await indicator(perf_http, officer, "profit")
    await target(perf_http, officer, profit, project_id, period, "134998.90", subject_kind="team")
    earned = await attainment_of(
        perf_http, officer, profit, project_id, period, lambda r: r["facts"] >= 3
    )
    assert (earned["actual"], Decimal(earned["attainment"])) == ("67499.45", Decimal(50))
    # The complaint's owner: the satisfaction the customer confirmed at closing (crm).
    await join(perf_http, officer, sales.owner_id, sales.department)
    satisfaction = await indicator(perf_http, officer, "customer_satisfaction", unit="score")
    await target(perf_http, officer, satisfaction, sales.owner_id, period, "5")
    rated = await attainment_of(
        perf_http, officer, satisfaction, sales.owner_id, period, lambda r: r["facts"] >= 1
    )
    assert Decimal(rated["actual"]) == analysis()["satisfaction"]
    await eventually(
        lambda: perf_http.get("/people", params={"department": sales.department}, headers=officer),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 2,
    )
    # §8.2 The quarterly cycle, finalized by hr once the quarter is over (performance's clock).
    cycle = await ok(
        await perf_http.post(
            "/cycles",
            json={
                "name": f"Sales {period}",
                "kind": "quarterly",
                "period": period,
                "ratings_due": (next_quarter + timedelta(days=5)).isoformat(),
                "finalize_due": (next_quarter + timedelta(days=10)).isoformat(),
                "feedback_due": (next_quarter + timedelta(days=20)).isoformat(),
                "weights": [
                    {"indicator_id": sold, "weight": "40"},
                    {"indicator_id": revenue, "weight": "40"},
                ],
                "ratings_weight": "20",
                "departments": [sales.department],
            },
            headers=officer,
        ),
        201,
    )
    evaluation_id = str(Evaluation.create_id(uuid.UUID(cycle["id"]), sales.rep_id))
    perf_clock = clocks("performance")
    try:
        perf_clock.set(
            datetime.combine(next_quarter, datetime.min.time(), UTC) + timedelta(hours=9)
        )
        await ok(await perf_http.post(f"/cycles/{cycle['id']}/finalize", headers=officer))
        scored = await eventually(
            lambda: perf_http.get(f"/evaluations/{evaluation_id}", headers=officer),
            lambda r: r.status_code == 200 and r.json()["state"] == "finalized",
        )
    finally:
        perf_clock.reset()
    result = scored.json()
    # No one rated: the ratings drop out with their weight; (40 x 100 + 40 x 50) / 80 = 75.
    assert result["score"] == "75.00"
    assert Decimal(result["attainments"][sold]) == 100
    assert Decimal(result["attainments"][revenue]) == 50

    # §9.2-9.3 The project's file: its approval record numbered and bound by the archivist,
    # borrowed by a member (approved by the department head) and returned intact.
    project_file = await file_of(records_http, archivist, project_id)
    [opened] = [r for r in project_file["records"] if r["source"] == "projects.ApplicationApproved"]
    record_id = opened["id"]
    numbered = await ok(
        await records_http.post(
            f"/records/{record_id}/number", json={"series": "initiation"}, headers=archivist
        )
    )
    assert numbered["number"].startswith(f"PRJ-{today.year}-")
    await ok(await records_http.post(f"/records/{record_id}/bind", headers=archivist))
    applied = await ok(
        await records_http.post(
            f"/records/{record_id}/loans",
            json={
                "purpose": "Prepare the rollout",
                "due_on": (today + timedelta(days=7)).isoformat(),
            },
            headers=crew.member,
        ),
        201,
    )
    loan = f"/records/{record_id}/loans/{applied['loan_id']}"
    await record_at(records_http, record_id, applied["version"], crew.head)
    await ok(await records_http.post(f"{loan}/approve", headers=crew.head))
    await ok(await records_http.post(f"{loan}/lend", headers=archivist))
    returned = await ok(
        await records_http.post(f"{loan}/return", json={"intact": True}, headers=archivist)
    )
    back = await record_at(records_http, record_id, returned["version"], crew.auditor)
    assert back["on_loan"] is False

    # §3.5 The project closed by management: records starts the file's retention.
    project_close_trace, closing_project = traced(crew.manager)
    closing = await ok(
        await http.post(
            f"/projects/{project_id}/close",
            json={"outcome": "achieved", "summary": "Three customers won"},
            headers=closing_project,
        )
    )
    assert (await project_at(http, crew, project_id, closing["version"]))["state"] == "closed"
    ended = await eventually(
        lambda: file_of(records_http, archivist, project_id),
        lambda f: f["retention_ends_on"] is not None,
        within=60,
    )
    assert ended["active"] is False
    retention_ends = date.fromisoformat(ended["retention_ends_on"])
    assert retention_ends.year == today.year + 10
    await reaction_in_trace(collector, project_close_trace, "records")

    # §9.4 Past the retention (records' clock): listed, approved by management, destroyed
    # before a witness; the destruction record stays.
    records_clock = clocks("records")
    try:
        records_clock.set(
            datetime.combine(retention_ends, datetime.min.time(), UTC) + timedelta(days=1)
        )

        async def due() -> list[str]:
            page = await ok(
                await records_http.get(
                    "/records-due-for-destruction",
                    params={"file_id": ended["id"]},
                    headers=archivist,
                )
            )
            return [r["id"] for r in page["items"]]

        listed = await eventually(due, lambda ids: record_id in ids, within=30)
        await eventually(
            lambda: inbox(records_http, archivist, "retention_over", ended["id"]),
            lambda items: any(i["record_id"] == ended["id"] for i in items),
        )
        proposed = await ok(
            await records_http.post(
                "/destruction-lists",
                json={"record_ids": listed, "reason": "Project closed ten years ago"},
                headers=archivist,
            ),
            201,
        )
        the_list = f"/destruction-lists/{proposed['id']}"
        await ok(await records_http.post(f"{the_list}/approve", headers=crew.manager))
        await ok(
            await records_http.post(
                f"{the_list}/carry-out",
                json={"witness": witness_id, "method": "deleted"},
                headers=archivist,
            )
        )
    finally:
        records_clock.reset()
    destructions = await eventually(
        lambda: records_http.get(
            "/destructions", params={"list_id": proposed["id"]}, headers=crew.auditor
        ),
        lambda r: r.status_code == 200 and len(r.json()["items"]) == len(listed),
    )
    kept = {d["id"]: d for d in destructions.json()["items"]}[record_id]
    assert (kept["number"], kept["witness"], kept["destroyed_by"]) == (
        numbered["number"],
        witness_id,
        archivist_id,
    )
    assert kept["approved_by"] == crew.manager_id


async def _listed(response: Any) -> list[dict[str, Any]]:
    r = await response
    return list(r.json()) if r.status_code == 200 else []


async def _kri(risk_http: httpx.AsyncClient, scope_id: str, indicator: str) -> tuple[int, str]:
    """The indicator's value and band for its scope, once risk has counted it."""

    async def fetch() -> dict[str, Any] | None:
        r = await risk_http.get("/kris", params={"scope_id": scope_id}, headers=OFFICER)
        items = (await ok(r))["items"]
        return next((k for k in items if k["indicator"] == indicator), None)

    kri = await eventually(fetch, lambda k: k is not None, within=60)
    assert kri is not None
    return kri["value"], kri["band"]
