"""Risks, their key risk indicators and the alerts they raise (risk)."""

from __future__ import annotations

from datetime import timedelta

from .client import Demo
from .people import money

# --- §5: risk -------------------------------------------------------------------------


def risks(demo: Demo) -> None:
    rk = demo.risk
    pearl = demo.made["customers"][1]
    project = demo.made["project"]
    credit = rk.post(
        "/risks",
        "lin.tao",
        {
            "category": "credit",
            "scope": "customer",
            "customer_id": pearl,
            "department": "sales",
            "title": "Pearl Retail pays late",
            "description": "Two invoices paid 40 days late last year",
            "cause": "Thin cash flow after expansion",
        },
    )
    rk.post(
        f"/risks/{credit['id']}/assessments",
        "lin.tao",
        {
            "assessment": "inherent",
            "likelihood": 4,
            "impact": 4,
            "scenarios": [
                {
                    "scenario": "An invoice is never paid",
                    "probability": "20",
                    "impact": money("150000.00"),
                }
            ],
        },
    )
    rk.post(
        f"/risks/{credit['id']}/response",
        "lin.tao",
        {"strategy": "accept", "reason": "The margin covers it"},
    )
    rk.post(f"/risks/{credit['id']}/sign-off", "wang.jun")
    delivery = rk.post(
        "/risks",
        "lin.tao",
        {
            "category": "operational",
            "scope": "project",
            "project_id": project,
            "department": "delivery",
            "title": "Gateways fail in the field",
            "description": "A batch failed at Pearl Retail",
            "cause": "Supplier quality",
        },
    )
    rk.post(
        f"/risks/{delivery['id']}/assessments",
        "lin.tao",
        {"assessment": "inherent", "likelihood": 3, "impact": 4},
    )
    rk.post(
        f"/risks/{delivery['id']}/response",
        "lin.tao",
        {"strategy": "reduce", "reason": "Spares and a second supplier"},
    )
    measure = rk.post(
        f"/risks/{delivery['id']}/measures",
        "lin.tao",
        {
            "description": "Qualify a second gateway supplier",
            "department": "delivery",
            "person": "he.jing",
            "due_on": (demo.today + timedelta(days=30)).isoformat(),
        },
    )
    rk.post(
        f"/risks/{delivery['id']}/measures/{measure['measure_id']}/reviews",
        "lin.tao",
        {"effective": True, "note": "Samples ordered"},
    )
    market = rk.post(
        "/risks",
        "zhao.min",
        {
            "category": "market",
            "scope": "company",
            "department": "sales",
            "title": "A rival undercuts on RFID gates",
            "description": "Cheaper gates win small depots",
            "cause": "New entrant",
        },
    )
    round_ = rk.post(
        "/identification-rounds",
        "lin.tao",
        {
            "period_start": demo.today.replace(day=1).isoformat(),
            "period_end": (demo.today + timedelta(days=60)).isoformat(),
            "departments": ["sales", "delivery"],
            "due_on": (demo.today + timedelta(days=14)).isoformat(),
        },
    )
    rk.post(
        f"/identification-rounds/{round_['id']}/submissions",
        "zhao.min",
        {"department": "sales", "risk_ids": [market["id"]]},
    )
    rk.post(
        "/review-meetings",
        "lin.tao",
        {
            "held_on": demo.today.isoformat(),
            "title": "Monthly risk review",
            "attendees": ["lin.tao", "wang.jun", "zhao.min", "hu.bo"],
            "risk_ids": [credit["id"], delivery["id"]],
            "conclusions": "Credit risk accepted; gateway supplier to be doubled",
            "actions": [
                {
                    "action": "Report on the second supplier",
                    "owner": "hu.bo",
                    "due_on": (demo.today + timedelta(days=30)).isoformat(),
                }
            ],
        },
    )
    # Two complaints in 90 days cross the warning threshold of Pearl Retail's complaints
    # KRI; the overdue milestone and the overrun line fire the project's.
    alerts = rk.until(
        "risk's KRI alert on Pearl Retail's complaints",
        lambda: rk.items("/alerts", "lin.tao", scope_id=pearl),
    )
    rk.post(
        f"/alerts/{alerts[0]['id']}/acknowledge",
        "lin.tao",
        {"note": "Discussed with sales; account plan updated"},
    )
    demo.say(
        "  risk: 3 risks (one accepted and signed off, one reduced with a measure reviewed),"
        " an identification round, a review meeting, a KRI alert acknowledged (risk)"
    )
