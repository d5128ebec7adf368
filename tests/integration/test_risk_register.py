"""The register on the real Kafka and PostgreSQL (REGULATIONS 5.1, 5.2): a risk identified by
its department's head, assessed inherent and residual (the heat map counts both), accepted
at level critical and signed off by management (not its proposer), its strategy changed with
a reason; a measure left undone and unreviewed past its due times under a test clock is
flagged once each."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .conftest import TestClock as Clock
from .conftest import auth, eventually, problem_of, unique
from .flows import ok

OFFICER_ID = unique("officer")
OFFICER = auth(OFFICER_ID, "risk", "employee", "risk_officer")


def cell(heat: dict[str, Any], likelihood: int, impact: int) -> int:
    [found] = [c for c in heat["cells"] if (c["likelihood"], c["impact"]) == (likelihood, impact)]
    count: int = found["count"]
    return count


async def test_a_risk_assessed_accepted_signed_off_and_its_measure_flagged_overdue(
    risk_http: httpx.AsyncClient, clocks: Callable[[str], Clock]
) -> None:
    department = unique("dept")
    head_id = unique("head")
    head = auth(head_id, department, "employee", "department_head")
    person_id = unique("person")
    person = auth(person_id, department, "employee")
    boss = auth(unique("boss"), "management", "employee", "management")
    stranger = auth(unique("someone"), unique("dept"), "employee")

    raised = await ok(
        await risk_http.post(
            "/risks",
            json={
                "category": "legal",
                "scope": "company",
                "department": department,
                "title": "New data protection law",
                "description": "Customer files must be kept in the country",
                "cause": "Regulation",
            },
            headers=head,
        ),
        201,
    )
    risk_id = raised["id"]
    bad = await risk_http.post(
        f"/risks/{risk_id}/assessments",
        json={"assessment": "inherent", "likelihood": 6, "impact": 4},
        headers=OFFICER,
    )
    assert bad.status_code == 422
    assert "body.likelihood" in [e["field"] for e in problem_of(bad)["errors"]]

    async def command(path: str, body: dict[str, Any] | None, who: dict[str, str]) -> int:
        r = await risk_http.post(f"/risks/{risk_id}/{path}", json=body, headers=who)
        version: int = (await ok(r))["version"]
        return version

    await command(
        "assessments",
        {
            "assessment": "inherent",
            "likelihood": 5,
            "impact": 5,
            "scenarios": [
                {
                    "scenario": "Fined for a transfer abroad",
                    "probability": "30",
                    "impact": {"amount": "2000000.00", "currency": "CNY"},
                }
            ],
        },
        OFFICER,
    )
    await command(
        "assessments", {"assessment": "residual", "likelihood": 4, "impact": 5}, OFFICER
    )  # 20: critical
    proposed = await command(
        "response", {"strategy": "accept", "reason": "Moving the servers costs more"}, OFFICER
    )

    async def detail(version: int, who: dict[str, str] = OFFICER) -> dict[str, Any]:
        r = await risk_http.get(f"/risks/{risk_id}", params={"min_version": version}, headers=who)
        return await ok(r)

    shown = await detail(proposed)
    assert (shown["level"], shown["score"], shown["response_state"]) == (
        "critical",
        20,
        "awaiting_sign_off",
    )
    assert (shown["inherent"]["score"], shown["residual"]["score"]) == (25, 20)
    assert len(shown["assessments"][0]["scenarios"]) == 1

    heat = await ok(
        await risk_http.get(
            "/risk-heat-map",
            params={"assessment": "inherent", "department": department},
            headers=OFFICER,
        )
    )
    assert cell(heat, 5, 5) == 1
    assert sum(c["count"] for c in heat["cells"]) == 1
    residual = await ok(
        await risk_http.get(
            "/risk-heat-map",
            params={"assessment": "residual", "department": department},
            headers=head,
        )
    )
    assert cell(residual, 4, 5) == 1

    async def management_inbox() -> list[dict[str, Any]]:
        r = await risk_http.get(
            "/inbox", params={"kind": "acceptance_to_sign_off", "record_id": risk_id}, headers=boss
        )
        return [i for i in (await ok(r))["items"] if i["record_id"] == risk_id]

    assert len(await eventually(management_inbox)) == 1
    closing = await risk_http.post(
        f"/risks/{risk_id}/close", json={"reason": "Accepted"}, headers=OFFICER
    )
    assert closing.status_code == 409
    assert (await risk_http.post(f"/risks/{risk_id}/sign-off", headers=OFFICER)).status_code == 403
    self_sign = auth(OFFICER_ID, "risk", "employee", "risk_officer", "management")
    refused = await risk_http.post(f"/risks/{risk_id}/sign-off", headers=self_sign)
    assert refused.status_code == 403
    assert "own" in problem_of(refused)["detail"]
    signed = await command("sign-off", None, boss)
    assert (await detail(signed))["response_state"] == "in_force"
    assert await eventually(management_inbox, lambda items: items == []) == []

    # A review finds acceptance is not enough: the strategy changes, with its reason kept.
    changed = await command(
        "response", {"strategy": "reduce", "reason": "A local cloud region opened"}, head
    )
    today = datetime.now(UTC).date()
    measure = await ok(
        await risk_http.post(
            f"/risks/{risk_id}/measures",
            json={
                "description": "Move customer files to the local region",
                "department": department,
                "person": person_id,
                "due_on": today.isoformat(),
            },
            headers=head,
        ),
        201,
    )
    after = await detail(measure["version"])
    assert [(r["strategy"], r["previous"]) for r in after["responses"]] == [
        ("accept", None),
        ("reduce", "accept"),
    ]
    assert after["version"] > changed
    history = await ok(await risk_http.get(f"/risks/{risk_id}/history", headers=head))
    names = [h["event"] for h in history]
    assert names.count("StrategyChanged") == 1
    assert names.count("Assessed") == 2
    assert (await risk_http.get(f"/risks/{risk_id}", headers=stranger)).status_code == 403
    # The person responsible for a measure reads its risk.
    assert (await detail(measure["version"], person))["id"] == risk_id

    clock = clocks("risk")
    try:
        # Past the due day, and past the first review (7 days at level critical).
        clock.set(datetime.now(UTC) + timedelta(days=8))

        async def flagged() -> dict[str, Any]:
            r = await risk_http.get("/measures", params={"risk_id": risk_id}, headers=OFFICER)
            [m] = (await ok(r))["items"]
            return m

        m = await eventually(flagged, lambda m: m["overdue"] and m["review_overdue"], within=30)
        await asyncio.sleep(1.5)  # several more ticks of the scheduler: flagged once
        history = await ok(await risk_http.get(f"/risks/{risk_id}/history", headers=OFFICER))
    finally:
        clock.reset()
    names = [h["event"] for h in history]
    assert names.count("MeasureOverdue") == 1
    assert names.count("ReviewOverdue") == 1
    assert m["id"] == measure["measure_id"]
    mine = await ok(await risk_http.get("/measures", params={"overdue": True}, headers=person))
    assert [x["id"] for x in mine["items"]] == [measure["measure_id"]]
    done = await ok(
        await risk_http.post(
            f"/risks/{risk_id}/measures/{measure['measure_id']}/complete",
            json={"note": "Moved"},
            headers=person,
        )
    )
    final = await detail(done["version"])
    assert final["measures"][0]["state"] == "completed"


async def test_risks_identified_at_once_against_one_subject_are_all_raised(
    risk_http: httpx.AsyncClient,
) -> None:
    # Every identification also records the risk among its subject's open risks: concurrent
    # ones against the company, or one project, must not fail one another (issue 20).
    project_id = str(uuid.uuid4())

    def body(n: int, scope: str) -> dict[str, Any]:
        return {
            "category": "operational",
            "scope": scope,
            **({"project_id": project_id} if scope == "project" else {}),
            "department": "risk",
            "title": f"Concurrent risk {n}",
            "description": "Raised at the same time as others",
            "cause": "Load",
        }

    for scope in ("company", "project"):
        answers = await asyncio.gather(
            *(risk_http.post("/risks", json=body(n, scope), headers=OFFICER) for n in range(6))
        )
        assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
        for r in answers:
            got = await risk_http.get(
                f"/risks/{r.json()['id']}", params={"min_version": 1}, headers=OFFICER
            )
            assert got.status_code == 200
