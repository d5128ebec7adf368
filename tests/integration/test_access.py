"""Who the token says acts, and that only an acting role writes, over HTTP (issue 7,
"Boundary"): tokens that do not say who acts answer 401, an auditor's token carrying the
owner's user id answers 403 on every write the owner could make, and a plan sent back takes
no review until it is revised (409)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from bizdev_common.auth import DEV_SECRET

from .conftest import auth, problem_of
from .flows import People, application_body, draft, ok
from .planning_flows import Crew, drafted_plan, led_project, plan_body, refused, review, today

ACTOR = {"sub": "mallory", "department": "sales"}
MISSING = object()


def signed(**claims: Any) -> dict[str, str]:
    """A token signed with the dev secret the services verify against: only its claims are
    wrong, never its signature."""
    body: dict[str, Any] = {**ACTOR, "roles": ["employee"], "exp": int(time.time()) + 600}
    body.update(claims)
    token = jwt.encode(
        {k: v for k, v in body.items() if v is not MISSING}, DEV_SECRET, algorithm="HS256"
    )
    return {"Authorization": f"Bearer {token}"}


TOKENS = {
    "roles null": signed(roles=None),
    "roles a number": signed(roles=7),
    "roles a boolean": signed(roles=True),
    "roles an object": signed(roles={"management": True}),
    "roles a string": signed(roles="management"),
    "roles empty": signed(roles=[]),
    "roles missing": signed(roles=MISSING),
    "an unknown role": signed(roles=["employee", "emperor"]),
    "sub empty": signed(sub=""),
    "department empty": signed(department=""),
    # Over the token cap (8 KiB), under the header limit (16 KiB): the token check refuses it.
    "10 KB, validly signed": signed(padding="x" * 7_000),
}


@pytest.mark.parametrize("case", list(TOKENS))
async def test_a_token_that_does_not_say_who_acts_is_refused(
    case: str, http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    for client, path in ((http, "/applications"), (crm_http, "/customers")):
        r = await client.get(path, headers=TOKENS[case])
        assert r.status_code == 401, (case, path, r.status_code, r.text[:300])
        assert "invalid token" in problem_of(r)["detail"]
    # A write is refused the same way, before anything is recorded as owned by "" or nobody.
    r = await http.post("/applications", json=application_body(), headers=TOKENS[case])
    assert r.status_code == 401, r.text[:300]


async def test_a_100_kb_token_is_refused_by_the_header_limit_before_it_is_read(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient
) -> None:
    huge = signed(padding="x" * 100_000)
    for client, path in ((http, "/applications"), (crm_http, "/customers")):
        r = await client.get(path, headers=huge)
        assert r.status_code == 431, r.text[:300]
        assert r.headers["content-type"] == "application/problem+json"


async def test_the_same_claims_with_a_known_role_are_accepted(http: httpx.AsyncClient) -> None:
    """The refusals above are about the claims, not the signature or the secret."""
    await ok(await http.get("/applications", headers=signed()))


def as_auditor(user_id: str, department: str) -> dict[str, str]:
    return auth(user_id, department, "auditor")


async def test_the_applicant_as_auditor_neither_revises_nor_submits(
    http: httpx.AsyncClient,
) -> None:
    people = People()
    created = await draft(http, people)
    impostor = as_auditor(people.applicant_id, people.department)
    path = f"/applications/{created['id']}"
    refused(await http.patch(path, json={"title": "Changed"}, headers=impostor), 403)
    refused(await http.post(f"{path}/submit", headers=impostor), 403)
    # The applicant's own token still does both: the refusals were about the role.
    revised = await ok(await http.patch(path, json={"title": "Changed"}, headers=people.applicant))
    submitted = await ok(await http.post(f"{path}/submit", headers=people.applicant))
    assert submitted["version"] == revised["version"] + 1 == 3


async def test_the_plans_author_as_auditor_neither_revises_nor_submits(
    http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    plan_id = await drafted_plan(http, crew, project_id)
    impostor = as_auditor(crew.people.applicant_id, crew.department)
    refused(await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=impostor), 403)
    refused(await http.post(f"/plans/{plan_id}/submit", headers=impostor), 403)
    await ok(await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=crew.applicant))


async def test_a_plan_sent_back_takes_no_review_until_it_is_revised(
    http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    plan_id = await drafted_plan(http, crew, project_id)
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    await review(http, plan_id, crew.finance_head, comments="Personnel too high")
    late = await http.post(
        f"/plans/{plan_id}/review", json={"verdict": "passed", "comments": ""}, headers=crew.head
    )
    assert refused(late, 409)["type"].endswith("invalid-transition")
    revised = await ok(
        await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=crew.applicant)
    )
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    passed = await review(http, plan_id, crew.head)
    assert passed["version"] == revised["version"] + 2


async def test_the_owner_of_an_action_item_as_auditor_does_not_complete_it(
    http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    meeting = await ok(
        await http.post(
            f"/projects/{project_id}/meetings",
            json={
                "kind": "weekly",
                "title": "Week 12: pilot status",
                "meeting_date": (today() + timedelta(days=7)).isoformat(),
                "attendees": [crew.lead_id, crew.member_id],
                "agenda": "Supplier",
            },
            headers=crew.lead,
        ),
        201,
    )
    due = (today() + timedelta(days=10)).isoformat()
    minuted = await ok(
        await http.post(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "minutes": "Supplier late",
                "attendees": [crew.lead_id, crew.member_id],
                "action_items": [
                    {"description": "Call the supplier", "owner": crew.member_id, "due_date": due}
                ],
            },
            headers=crew.lead,
        )
    )
    detail = await ok(
        await http.get(
            f"/meetings/{meeting['id']}",
            params={"min_version": minuted["version"]},
            headers=crew.auditor,
        )
    )
    done = f"/meetings/{meeting['id']}/action-items/{detail['action_items'][0]['id']}/done"
    refused(await http.post(done, headers=as_auditor(crew.member_id, crew.department)), 403)
    await ok(await http.post(done, headers=crew.member))
