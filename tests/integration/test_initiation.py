"""Project initiation over HTTP (REGULATIONS §2), against the real service, Kafka and
PostgreSQL: the whole path to a Project in the read model, and every refusal."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from .conftest import auth, eventually, problem_of, unique
from .crm_flows import CrmPeople, register
from .flows import (
    APPROVAL,
    REVIEW,
    People,
    application_body,
    approved,
    draft,
    ok,
    to_reviewed,
)


async def test_initiation_path_from_lead_to_project_in_read_model(http: httpx.AsyncClient) -> None:
    people = People()
    lead = await ok(
        await http.post(
            "/leads",
            json={
                "customer": "ACME Logistics",
                "need": "Stock tracking",
                "source": "trade show",
                "estimated_value": {"amount": "800000", "currency": "CNY"},
            },
            headers=people.applicant,
        ),
        201,
    )
    customer_id = str(uuid.uuid4())
    created = await draft(http, people, lead_id=lead["id"], customer_id=customer_id)
    app_id = created["id"]
    assert created["version"] == 1

    submitted = await ok(
        await http.post(
            f"/applications/{app_id}/submit", headers={**people.applicant, "If-Match": '"1"'}
        )
    )
    assert submitted["version"] == 2
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    decision = await ok(
        await http.post(
            f"/applications/{app_id}/approve",
            json={**APPROVAL, "comments": "Strategic customer"},
            headers={**people.manager, "If-Match": '"3"'},
        )
    )
    assert decision["version"] == 4

    view = await ok(
        await http.get(
            f"/applications/{app_id}", params={"min_version": 4}, headers=people.applicant
        )
    )
    assert view["state"] == "approved"
    assert view["lead_id"] == lead["id"]
    assert view["opinion"]["by"] == people.head_id
    assert view["opinion"]["recommend"] is True
    assert view["expected_revenue"] == {"amount": "1250000.00", "currency": "CNY"}
    assert view["project_id"] == decision["project_id"]

    project = await ok(
        await http.get(
            f"/projects/{decision['project_id']}",
            params={"min_version": 1},
            headers=people.applicant,
        )
    )
    assert project["state"] == "open"
    assert project["application_id"] == app_id
    assert project["department"] == people.department
    assert project["name"] == "Smart warehouse for ACME"
    assert project["customer_id"] == customer_id
    as_opened = await ok(
        await http.get(
            f"/projects/{decision['project_id']}/as-of",
            params={"version": 1},
            headers=people.applicant,
        )
    )
    assert as_opened["customer_id"] == customer_id
    assert as_opened["application_id"] == app_id

    listed = await ok(
        await http.get(
            "/projects",
            params={
                "department": people.department,
                "wait_for": decision["project_id"],
                "min_version": 1,
            },
            headers=people.applicant,
        )
    )
    assert [p["id"] for p in listed["items"]] == [decision["project_id"]]


async def test_history_tells_who_when_and_why_and_state_as_of(http: httpx.AsyncClient) -> None:
    people = People()
    app_id = await to_reviewed(http, people)
    r = await http.post(
        f"/applications/{app_id}/reject",
        json={"reasons": "Market too small"},
        headers=people.manager,
    )
    await ok(r)

    history = await ok(
        await http.get(f"/applications/{app_id}/history", headers=auth("audit", "audit", "auditor"))
    )
    assert [h["event"] for h in history] == [
        "Drafted",
        "Submitted",
        "DepartmentReviewed",
        "Rejected",
    ]
    assert [h["by"] for h in history][:3] == [
        people.applicant_id,
        people.applicant_id,
        people.head_id,
    ]
    assert history[3]["data"]["reasons"] == "Market too small"
    assert all(datetime.fromisoformat(h["at"]).tzinfo is not None for h in history)

    as_of_v2 = await ok(
        await http.get(
            f"/applications/{app_id}/as-of", params={"version": 2}, headers=people.applicant
        )
    )
    assert as_of_v2["state"] == "submitted"
    assert as_of_v2["version"] == 2
    as_of_time = await ok(
        await http.get(
            f"/applications/{app_id}/as-of",
            params={"at": history[2]["at"]},
            headers=people.applicant,
        )
    )
    assert as_of_time["state"] == "department_reviewed"
    assert as_of_time["opinion"]["reviewer"] == people.head_id


async def test_rejected_application_is_revised_resubmitted_and_approved(
    http: httpx.AsyncClient,
) -> None:
    people = People()
    app_id = await to_reviewed(http, people)

    no_reasons = await http.post(
        f"/applications/{app_id}/reject", json={"reasons": ""}, headers=people.manager
    )
    assert no_reasons.status_code == 422
    assert [e["field"] for e in problem_of(no_reasons)["errors"]] == ["body.reasons"]

    await ok(
        await http.post(
            f"/applications/{app_id}/reject",
            json={"reasons": "Revenue estimate unsupported"},
            headers=people.manager,
        )
    )
    not_yet = await http.post(f"/applications/{app_id}/submit", headers=people.applicant)
    assert not_yet.status_code == 409

    revised = await ok(
        await http.patch(
            f"/applications/{app_id}",
            json={"expected_revenue": {"amount": "900000.00", "currency": "CNY"}},
            headers=people.applicant,
        )
    )
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    final = await ok(
        await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=people.manager)
    )
    assert final["version"] == revised["version"] + 3

    view = await ok(
        await http.get(
            f"/applications/{app_id}",
            params={"min_version": final["version"]},
            headers=people.applicant,
        )
    )
    assert view["state"] == "approved"
    assert view["expected_revenue"]["amount"] == "900000.00"
    assert view["decision_reasons"] is None


async def test_lists_filter_search_sort_and_page(http: httpx.AsyncClient) -> None:
    people = People()
    ids = []
    for title in ["Alpha cold-chain", "Beta retail", "Gamma cold-chain"]:
        ids.append((await draft(http, people, title=title))["id"])
    last = ids[-1]
    await ok(await http.post(f"/applications/{ids[0]}/submit", headers=people.applicant))

    page = await ok(
        await http.get(
            "/applications",
            params={
                "department": people.department,
                "sort": "title",
                "limit": 2,
                "wait_for": last,
                "min_version": 1,
            },
            headers=people.applicant,
        )
    )
    assert page["total"] == 3
    assert [a["title"] for a in page["items"]] == ["Alpha cold-chain", "Beta retail"]
    second = await ok(
        await http.get(
            "/applications",
            params={"department": people.department, "sort": "title", "limit": 2, "offset": 2},
            headers=people.applicant,
        )
    )
    assert [a["title"] for a in second["items"]] == ["Gamma cold-chain"]

    found = await ok(
        await http.get(
            "/applications",
            params={"department": people.department, "q": "COLD-chain", "sort": "-title"},
            headers=people.applicant,
        )
    )
    assert [a["title"] for a in found["items"]] == ["Gamma cold-chain", "Alpha cold-chain"]

    submitted = await ok(
        await http.get(
            "/applications",
            params={
                "department": people.department,
                "state": "submitted",
                "wait_for": ids[0],
                "min_version": 2,
            },
            headers=people.applicant,
        )
    )
    assert [a["id"] for a in submitted["items"]] == [ids[0]]

    bad_sort = await http.get(
        "/applications", params={"sort": "password"}, headers=people.applicant
    )
    assert bad_sort.status_code == 422
    assert problem_of(bad_sort)["errors"][0]["field"] == "query.sort"


async def test_market_insights_only_from_the_market_department(http: httpx.AsyncClient) -> None:
    body = {"kind": "competitor", "title": "Rival cut prices", "content": "By 10% in Q3"}
    sales = await http.post(
        "/market-insights", json=body, headers=auth(unique("u"), "sales", "employee")
    )
    assert sales.status_code == 403
    problem_of(sales)
    market = await http.post(
        "/market-insights", json=body, headers=auth(unique("u"), "market", "employee")
    )
    assert market.status_code == 201


async def test_unauthenticated_requests_get_401(http: httpx.AsyncClient) -> None:
    for r in [
        await http.get("/applications"),
        await http.post("/applications", json=application_body()),
        await http.get("/applications", headers={"Authorization": "Bearer not-a-jwt"}),
    ]:
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        problem_of(r)
    assert (await http.get("/healthz")).status_code == 200


async def test_roles_that_may_not_act_get_403(http: httpx.AsyncClient) -> None:
    people = People()
    auditor = auth(unique("auditor"), people.department, "auditor")
    stranger = auth(unique("colleague"), people.department, "employee")
    other_head = auth(unique("head"), unique("other-dept"), "employee", "department_head")

    refused = [await http.post("/applications", json=application_body(), headers=auditor)]
    lead = {
        "customer": "X",
        "need": "Y",
        "source": "Z",
        "estimated_value": {"amount": "1", "currency": "CNY"},
    }
    refused.append(await http.post("/leads", json=lead, headers=auditor))

    app_id = (await draft(http, people))["id"]
    refused.append(await http.post(f"/applications/{app_id}/submit", headers=stranger))
    refused.append(
        await http.patch(f"/applications/{app_id}", json={"title": "Mine now"}, headers=stranger)
    )
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    refused.append(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=stranger))
    refused.append(
        await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=other_head)
    )
    refused.append(
        await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.manager)
    )
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    for who in (people.head, stranger, auditor):
        refused.append(
            await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=who)
        )
        refused.append(
            await http.post(f"/applications/{app_id}/reject", json={"reasons": "no"}, headers=who)
        )
    for r in refused:
        assert r.status_code == 403, (r.request.url, r.text)
        problem_of(r)

    # Nothing refused was applied: the application is where the allowed steps left it.
    history = await ok(await http.get(f"/applications/{app_id}/history", headers=auditor))
    assert [h["event"] for h in history] == ["Drafted", "Submitted", "DepartmentReviewed"]


async def test_nobody_reviews_or_approves_their_own_application(http: httpx.AsyncClient) -> None:
    dept = unique("dept")
    head_applicant = auth(unique("head"), dept, "employee", "department_head")
    app_id = (
        await ok(
            await http.post("/applications", json=application_body(), headers=head_applicant), 201
        )
    )["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=head_applicant))
    self_review = await http.post(
        f"/applications/{app_id}/review", json=REVIEW, headers=head_applicant
    )
    assert self_review.status_code == 403
    assert "management reviews this application instead" in problem_of(self_review)["detail"]

    # Management reviews an application of the department's head, and the review says so;
    # whoever reviewed it does not decide it, holding the management role or not.
    reviewer_id = unique("manager")
    reviewer = auth(reviewer_id, "management", "employee", "management")
    reviewed = await ok(
        await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=reviewer)
    )
    view = await ok(
        await http.get(
            f"/applications/{app_id}",
            params={"min_version": reviewed["version"]},
            headers=reviewer,
        )
    )
    assert view["applicant_is_head"] is True
    assert view["opinion"]["by"] == reviewer_id
    assert view["opinion"]["reviewed_as"] == "management"
    assert view["opinion"]["by_management_because_applicant_is_head"] is True
    own_decision = await http.post(
        f"/applications/{app_id}/approve", json=APPROVAL, headers=reviewer
    )
    assert own_decision.status_code == 403
    assert "whoever reviewed" in problem_of(own_decision)["detail"]

    # The assessment is required: 422 naming the field, from another member of management.
    decider = auth(unique("manager"), "management", "employee", "management")
    without = {k: v for k, v in APPROVAL.items() if k != "economic_benefit"}
    missing = await http.post(f"/applications/{app_id}/approve", json=without, headers=decider)
    assert missing.status_code == 422
    assert [e["field"] for e in problem_of(missing)["errors"]] == ["body.economic_benefit"]
    await ok(await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=decider))
    approved_view = await ok(
        await http.get(f"/applications/{app_id}", params={"min_version": 4}, headers=head_applicant)
    )
    assert approved_view["assessment"] == APPROVAL

    people = People()
    manager_id = unique("manager")
    manager_applicant = auth(manager_id, people.department, "employee", "management")
    app2 = (
        await ok(
            await http.post("/applications", json=application_body(), headers=manager_applicant),
            201,
        )
    )["id"]
    await ok(await http.post(f"/applications/{app2}/submit", headers=manager_applicant))
    await ok(await http.post(f"/applications/{app2}/review", json=REVIEW, headers=people.head))
    self_approval = await http.post(
        f"/applications/{app2}/approve", json=APPROVAL, headers=manager_applicant
    )
    assert self_approval.status_code == 403


async def test_the_finder_of_the_lead_neither_reviews_nor_decides(http: httpx.AsyncClient) -> None:
    people = People()
    finder = auth(unique("finder"), people.department, "employee", "management")
    lead = await ok(
        await http.post(
            "/leads",
            json={
                "customer": "ACME",
                "need": "Cold storage",
                "source": "trade fair",
                "estimated_value": {"amount": "10000.00", "currency": "CNY"},
            },
            headers=finder,
        ),
        201,
    )
    app_id = await to_reviewed(http, people, lead_id=lead["id"])
    refused = await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=finder)
    assert refused.status_code == 403
    assert "finder of the lead" in problem_of(refused)["detail"]
    await ok(
        await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=people.manager)
    )


async def test_invalid_input_gets_422_naming_the_field(http: httpx.AsyncClient) -> None:
    people = People()
    cases = {
        "body.title": application_body(title=""),
        "body.expected_revenue.currency": application_body(
            expected_revenue={"amount": "10", "currency": "yuan"}
        ),
        "body.expected_revenue.amount": application_body(
            expected_revenue={"amount": "ten", "currency": "CNY"}
        ),
        "body.expected_revenue": application_body(
            expected_revenue={"amount": "-5", "currency": "CNY"}
        ),
        "body.preliminary_plan": {
            k: v for k, v in application_body().items() if k != "preliminary_plan"
        },
        "body.lead_id": application_body(lead_id="00000000-0000-0000-0000-000000000001"),
        "body.unexpected": {**application_body(), "unexpected": 1},
    }
    for field, body in cases.items():
        r = await http.post("/applications", json=body, headers=people.applicant)
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in problem_of(r)["errors"]], (field, r.text)

    bad_id = await http.post("/applications/not-a-uuid/submit", headers=people.applicant)
    assert bad_id.status_code == 422
    assert problem_of(bad_id)["errors"][0]["field"] == "path.application_id"
    bad_if_match = await http.post(
        f"/applications/{(await draft(http, people))['id']}/submit",
        headers={**people.applicant, "If-Match": "yesterday"},
    )
    assert bad_if_match.status_code == 422


async def test_missing_records_get_404(http: httpx.AsyncClient) -> None:
    people = People()
    missing = "00000000-0000-0000-0000-0000000000ff"
    application = (await draft(http, people))["id"]
    for r in [
        # A record of another kind is not one of these, whichever route is asked.
        await http.get(f"/projects/{application}/history", headers=people.applicant),
        await http.get(f"/projects/{application}/as-of", headers=people.applicant),
        await http.post(f"/applications/{missing}/submit", headers=people.applicant),
        await http.get(f"/applications/{missing}", headers=people.applicant),
        await http.get(f"/projects/{missing}/history", headers=people.applicant),
        await http.get("/no-such-route", headers=people.applicant),
    ]:
        assert r.status_code == 404, r.text
        problem_of(r)


async def test_stale_version_and_forbidden_transition_get_409(http: httpx.AsyncClient) -> None:
    people = People()
    app_id = (await draft(http, people))["id"]
    await ok(
        await http.patch(
            f"/applications/{app_id}",
            json={"title": "Renamed"},
            headers={**people.applicant, "If-Match": '"1"'},
        )
    )
    stale = await http.patch(
        f"/applications/{app_id}",
        json={"title": "Lost update"},
        headers={**people.applicant, "If-Match": '"1"'},
    )
    assert stale.status_code == 409
    assert problem_of(stale)["type"].endswith("/stale-version")

    early_approval = await http.post(
        f"/applications/{app_id}/approve", json=APPROVAL, headers=people.manager
    )
    assert early_approval.status_code == 409
    assert problem_of(early_approval)["type"].endswith("/invalid-transition")
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    twice = await http.post(f"/applications/{app_id}/submit", headers=people.applicant)
    assert twice.status_code == 409

    done = await approved(http, People())
    revise_after = await http.patch(
        f"/applications/{done['id']}", json={"title": "Late"}, headers=people.applicant
    )
    assert revise_after.status_code in (403, 409)

    view = await ok(
        await http.get(
            f"/applications/{app_id}", params={"min_version": 3}, headers=people.applicant
        )
    )
    assert view["title"] == "Renamed"


async def test_leads_are_qualified_or_discarded_and_name_a_customer_crm_announced(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    people = People()
    lead = {
        "customer": "ACME Logistics",
        "need": "Cold storage",
        "source": "trade show",
        "estimated_value": {"amount": "50000.00", "currency": "CNY"},
    }
    unknown = await http.post(
        "/leads", json={**lead, "customer_id": str(uuid.uuid4())}, headers=people.applicant
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in problem_of(unknown)["errors"]] == ["body.customer_id"]

    found = await ok(await http.post("/leads", json=lead, headers=people.applicant), 201)
    lead_id = found["id"]
    own = await http.post(f"/leads/{lead_id}/qualify", json={}, headers=people.applicant)
    assert own.status_code == 403
    no_reasons = await http.post(f"/leads/{lead_id}/discard", json={}, headers=people.head)
    assert no_reasons.status_code == 422
    discarded = await ok(
        await http.post(
            f"/leads/{lead_id}/discard",
            json={"reasons": "No budget this year"},
            headers=people.head,
        )
    )
    view = await ok(
        await http.get(
            f"/leads/{lead_id}",
            params={"min_version": discarded["version"]},
            headers=people.applicant,
        )
    )
    assert (view["state"], view["judged_by"], view["judgement"]) == (
        "discarded",
        people.head_id,
        "No budget this year",
    )
    following = await http.post(
        "/applications", json=application_body(lead_id=lead_id), headers=people.applicant
    )
    assert following.status_code == 422

    # The customer crm registers reaches projects through crm's topic, a moment later.
    customer_id = (await register(crm_http, CrmPeople()))["id"]

    async def qualify() -> httpx.Response:
        return await http.post(
            f"/leads/{lead_id}/qualify",
            json={"note": "Budget found", "customer_id": customer_id},
            headers=people.manager,
        )

    qualified = await eventually(qualify, lambda r: r.status_code != 422, within=60)
    body = await ok(qualified)
    view = await ok(
        await http.get(
            f"/leads/{lead_id}", params={"min_version": body["version"]}, headers=people.head
        )
    )
    assert (view["state"], view["customer_id"]) == ("qualified", customer_id)
    listed = await ok(
        await http.get(
            "/leads", params={"customer_id": customer_id, "state": "qualified"}, headers=people.head
        )
    )
    assert [i["id"] for i in listed["items"]] == [lead_id]
