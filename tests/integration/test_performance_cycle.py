"""A full quarterly cycle over HTTP on the real Kafka and PostgreSQL (REGULATIONS 8.2-8.4):
opened by hr for a department, rated by the raters the organisation relates (never oneself,
never a stranger), finalized with frozen scores, fed back and acknowledged; overdue steps
reach hr's inbox through the shared scheduler; below standard, an improvement plan comes
first and a demotion is refused without a later failed cycle. Read on a need-to-know basis."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from bizdev_performance.domain import Evaluation
from bizdev_performance.published import CONTRACT

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .conftest import TestClock as Clock
from .crm_flows import customer_body
from .flows import ok
from .performance_flows import hr, indicator, join, target, today_iso


def previous_quarter(today: date) -> str:
    quarter = (today.month - 1) // 3 + 1
    return f"{today.year}-Q{quarter - 1}" if quarter > 1 else f"{today.year - 1}-Q4"


async def inbox(
    http: httpx.AsyncClient, headers: dict[str, str], kind: str, **params: Any
) -> list[dict[str, Any]]:
    r = await http.get("/inbox", params={"kind": kind, "limit": 200, **params}, headers=headers)
    return list((await ok(r))["items"])


async def test_a_quarterly_cycle_from_opening_to_acknowledged_feedback(
    performance_http: httpx.AsyncClient,
    crm_http: httpx.AsyncClient,
    clocks: Callable[[str], Clock],
    infra: Infra,
) -> None:
    http = performance_http
    officer = hr()
    dept = unique("sales")
    boss_id, ann_id, pete_id = unique("boss"), unique("ann"), unique("pete")
    boss = auth(boss_id, dept, "employee", "department_head")
    ann = auth(ann_id, dept, "employee")
    pete = auth(pete_id, dept, "employee")
    stranger = auth(unique("stranger"), unique("market"), "employee")
    await join(http, officer, boss_id, dept, position="Head of sales")
    ann_person = await join(http, officer, ann_id, dept, supervisor=boss_id)
    # The organisation may name a head without the role in tokens: they read too.
    chief_id = unique("chief")
    chief = auth(chief_id, unique("board"), "employee")
    await join(http, officer, chief_id, unique("board"), position="Director")
    await ok(
        await http.post(
            "/departments", json={"department": dept, "head": chief_id}, headers=officer
        )
    )
    last = await join(http, officer, pete_id, dept, supervisor=boss_id)
    await ok(
        await http.get(
            "/people",
            params={"department": dept, "wait_for": last["id"], "min_version": 1},
            headers=officer,
        )
    )
    # ann visits a customer of hers in crm: the organisation relates that customer to her.
    customer = await ok(await crm_http.post("/customers", json=customer_body(), headers=ann), 201)
    visit = await ok(
        await crm_http.post(
            "/follow-ups",
            json={"customer_id": customer["id"], "due_on": today_iso(), "purpose": "Review"},
            headers=ann,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/follow-ups/{visit['id']}/outcome",
            json={"visited_on": today_iso(), "satisfaction": 4, "notes": "Content"},
            headers=ann,
        )
    )

    async def relations() -> dict[str, Any]:
        return await ok(await http.get(f"/people/{ann_person['id']}/relations", headers=boss))

    related = await eventually(relations, lambda r: customer["id"] in r["customers"], within=60)
    assert related["raters"] == {boss_id: "supervisor", pete_id: "peer"}
    sales = await indicator(http, officer, "sales")
    today = datetime.now(UTC).date()
    period = previous_quarter(today)
    await target(http, officer, sales, ann_id, period, "100000")

    body = {
        "name": f"Sales {period}",
        "kind": "quarterly",
        "period": period,
        "ratings_due": (today + timedelta(days=5)).isoformat(),
        "finalize_due": (today + timedelta(days=10)).isoformat(),
        "feedback_due": (today + timedelta(days=20)).isoformat(),
        "weights": [{"indicator_id": sales, "weight": "60"}],
        "ratings_weight": "40",
        "departments": [dept],
    }
    short = await http.post("/cycles", json={**body, "ratings_weight": "30"}, headers=officer)
    assert short.status_code == 422, short.text
    assert (await http.post("/cycles", json=body, headers=boss)).status_code == 403
    opened = await ok(await http.post("/cycles", json=body, headers=officer), 201)
    cycle_id = opened["id"]
    cycle = await ok(await http.get(f"/cycles/{cycle_id}", params={"min_version": 1}, headers=ann))
    assert cycle["population"] == 3
    assert cycle["weights"] == {sales: "60"}
    ann_eval = str(Evaluation.create_id(uuid.UUID(cycle_id), ann_id))
    pete_eval = str(Evaluation.create_id(uuid.UUID(cycle_id), pete_id))

    # Who may rate whom was fixed at opening: pete rates his peer ann and his supervisor boss.
    expected = {ann_eval, str(Evaluation.create_id(uuid.UUID(cycle_id), boss_id))}
    await eventually(
        lambda: inbox(http, pete, "rating_to_give"),
        lambda items: {i["record_id"] for i in items} == expected,
    )

    def rating(value: int, comments: str = "") -> dict[str, Any]:
        return {
            "attitude": value,
            "collaboration": value,
            "innovation": value,
            "comments": comments,
        }

    mine = await http.post(f"/evaluations/{ann_eval}/ratings", json=rating(5), headers=ann)
    assert mine.status_code == 403, mine.text
    assert "themself" in mine.json()["detail"]
    strange = await http.post(f"/evaluations/{ann_eval}/ratings", json=rating(1), headers=stranger)
    assert strange.status_code == 403, strange.text
    await ok(
        await http.post(
            f"/evaluations/{ann_eval}/ratings", json=rating(5, "Great closer"), headers=boss
        )
    )
    await ok(await http.post(f"/evaluations/{ann_eval}/ratings", json=rating(4), headers=pete))
    twice = await http.post(f"/evaluations/{ann_eval}/ratings", json=rating(1), headers=pete)
    assert twice.status_code == 409
    # What the customer said of her, recorded by hr (not by a peer).
    for_customer = {**rating(3, "Answers fast"), "customer_id": customer["id"]}
    by_peer = await http.post(f"/evaluations/{ann_eval}/ratings", json=for_customer, headers=pete)
    assert by_peer.status_code == 403
    await ok(
        await http.post(f"/evaluations/{ann_eval}/ratings", json=for_customer, headers=officer)
    )

    assert (await http.post(f"/cycles/{cycle_id}/finalize", headers=boss)).status_code == 403
    finalized = await ok(await http.post(f"/cycles/{cycle_id}/finalize", headers=officer))
    await ok(
        await http.get(
            f"/cycles/{cycle_id}", params={"min_version": finalized["version"]}, headers=officer
        )
    )
    evaluation = await eventually(
        lambda: http.get(f"/evaluations/{ann_eval}", headers=boss),
        lambda r: r.status_code == 200 and r.json()["state"] == "finalized",
    )
    result = evaluation.json()
    # Sales 0 of 100000 (no contract) weighs 60; ratings (5, 4 and the customer's 3: a mean
    # of 4, x 20 = 80) weigh 40: 0.4 x 80.
    assert result["score"] == "32.00"
    assert Decimal(result["attainments"][sales]) == 0
    assert result["below_standard"] is True
    assert {g["rater"]: (g["relation"], g["comments"]) for g in result["given"]} == {
        boss_id: ("supervisor", "Great closer"),
        pete_id: ("peer", ""),
        f"customer:{customer['id']}": ("customer", "Answers fast"),
    }
    frozen = await http.post(f"/evaluations/{pete_eval}/ratings", json=rating(5), headers=boss)
    assert frozen.status_code == 409

    # Need to know: her peer and a stranger may not read it, nor list it.
    assert (await http.get(f"/evaluations/{ann_eval}", headers=pete)).status_code == 403
    assert (await http.get(f"/evaluations/{ann_eval}", headers=stranger)).status_code == 403

    async def board(headers: dict[str, str]) -> list[str]:
        page = await ok(await http.get(f"/cycles/{cycle_id}/scoreboard", headers=headers))
        return [e["person"] for e in page["items"] if e["state"] == "finalized"]

    ranked = await eventually(lambda: board(boss), lambda b: len(b) == 3)
    # ann scored; boss and pete had no target and no rating: unscored, last.
    assert ranked[0] == ann_id
    assert set(ranked) == {boss_id, ann_id, pete_id}
    assert await board(pete) == [pete_id]
    assert (await http.get(f"/evaluations/{ann_eval}", headers=chief)).status_code == 200
    assert (await http.get(f"/people/{ann_person['id']}/history", headers=pete)).status_code == 403

    await eventually(
        lambda: inbox(http, boss, "feedback_to_deliver"),
        lambda items: any(i["record_id"] == ann_eval for i in items),
    )
    assert (
        await http.post(
            f"/evaluations/{ann_eval}/feedback",
            json={"strengths": "x", "gaps": "y", "suggestions": "z"},
            headers=pete,
        )
    ).status_code == 403
    delivered = await ok(
        await http.post(
            f"/evaluations/{ann_eval}/feedback",
            json={
                "strengths": "Customers trust her",
                "gaps": "No contract this quarter",
                "suggestions": "Pair with pete on two accounts",
            },
            headers=boss,
        )
    )
    items = await eventually(
        lambda: inbox(http, ann, "feedback_to_acknowledge"),
        lambda items: any(i["record_id"] == ann_eval for i in items),
    )
    assert items[0]["link"] == f"/evaluations/{ann_eval}/acknowledge"
    done = await ok(
        await http.post(
            f"/evaluations/{ann_eval}/acknowledge",
            json={"comment": "Understood"},
            headers={**ann, "If-Match": f'"{delivered["version"]}"'},
        )
    )
    mine_now = await ok(
        await http.get(
            f"/evaluations/{ann_eval}", params={"min_version": done["version"]}, headers=ann
        )
    )
    assert mine_now["state"] == "acknowledged"
    assert mine_now["feedback"]["gaps"] == "No contract this quarter"

    # Below standard: an improvement plan first; a demotion needs a later cycle failed too.
    plan = await ok(
        await http.post(
            "/improvement-plans",
            json={
                "person": ann_id,
                "cycle_id": cycle_id,
                "measures": ["coaching", "training"],
                "description": "Weekly coaching with the head; negotiation training",
                "until": (today + timedelta(days=90)).isoformat(),
                "reason": "Scored 32 against a standard of 60",
            },
            headers=officer,
        ),
        201,
    )
    refused = await http.post(
        "/sanctions",
        json={
            "person": ann_id,
            "kind": "demotion",
            "plan_id": plan["decision_id"],
            "cycle_id": cycle_id,
            "reason": "Still low",
        },
        headers=officer,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.cycle_id"
    decisions = await ok(
        await http.get(
            "/decisions",
            params={"person": ann_id, "wait_for": plan["id"], "min_version": plan["version"]},
            headers=boss,
        )
    )
    [started] = decisions["items"]
    assert (started["category"], started["cycle_id"], started["score"]) == (
        "improvement_plan",
        cycle_id,
        "32.00",
    )
    hidden = await ok(await http.get("/decisions", params={"person": ann_id}, headers=pete))
    assert hidden["items"] == []
    history = await ok(await http.get(f"/people/{ann_person['id']}/performance", headers=ann))
    assert [e["score"] for e in history["evaluations"]] == ["32.00"]
    assert [d["category"] for d in history["decisions"]] == ["improvement_plan"]
    assert (
        await http.get(f"/people/{ann_person['id']}/performance", headers=pete)
    ).status_code == 403

    # pete's feedback is never delivered: past its day the scheduler reports it to hr, once.
    clock = clocks("performance")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=22))
        overdue = await eventually(
            lambda: inbox(http, officer, "step_overdue", q=pete_id),
            lambda items: any(i["item"] == "feedback" for i in items),
        )
    finally:
        clock.reset()
    assert overdue[0]["record_id"] == pete_eval

    records = await read_topic(
        infra.kafka_bootstrap,
        CONTRACT.topic,
        lambda rs: len(by_subject(rs, ann_eval)) >= done["version"],
    )
    mine_events = by_subject(records, ann_eval)
    names = [headers_of(r)["ce_type"].split(".")[2] for r in mine_events]
    assert names == [
        "EvaluationOpened",
        "RatingRecorded",
        "RatingRecorded",
        "RatingRecorded",
        "EvaluationFinalized",
        "FeedbackDelivered",
        "FeedbackAcknowledged",
    ]
    # Comments and feedback text stay in the event store: the topic carries numbers.
    said = (b"Great closer", b"Customers trust", b"Answers fast")
    assert not [text for r in mine_events for text in said if text in r.value]
    told = json.loads(mine_events[3].value)
    assert (told["relation"], told["customer_id"], told["attitude"]) == (
        "customer",
        customer["id"],
        3,
    )
    final = json.loads(mine_events[4].value)
    joined = by_subject(records, ann_person["id"])
    assert headers_of(joined[0])["ce_type"] == "bizdev.performance.PersonJoined.v1"
    assert json.loads(joined[0].value)["supervisor"] == boss_id
    assert b"Name of" not in joined[0].value  # names stay in performance
    assert (final["person"], final["score"], final["below_standard"]) == (ann_id, "32.00", True)
