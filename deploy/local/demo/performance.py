"""The organisation hr keeps (REGULATIONS §8) and a quarter's performance cycle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .client import Demo
from .people import CNY, HEADS, STAFF, last_quarter, money

# --- REGULATIONS §8: the organisation, by hr ------------------------------------------------


def organisation(demo: Demo) -> None:
    perf = demo.performance
    last: dict[str, Any] = {}
    for p in STAFF:  # supervisors before the people they supervise
        last = perf.post(
            "/people",
            # nobody in hr records themself
            "deng.ya" if p.user_id == "tang.hui" else "tang.hui",
            {
                "user_id": p.user_id,
                "name": p.name,
                "department": p.department,
                "position": p.position,
                "supervisor": p.supervisor,
                "joined_on": "2024-03-01",
            },
        )
    for department, head in HEADS.items():
        perf.post("/departments", "tang.hui", {"department": department, "head": head})
    perf.listed("/people", "tang.hui", last)
    demo.say(f"  organisation: {len(STAFF)} people in {len(HEADS)} departments (performance)")


# --- §8: performance ---------------------------------------------------------------------


def performance_cycle(demo: Demo) -> None:
    perf = demo.performance
    period = last_quarter(demo.today)
    sales = perf.post(
        "/indicators",
        "tang.hui",
        {
            "name": "Contract value signed",
            "kind": "sales",
            "measure": "contract_value",
            "unit": CNY,
        },
    )
    quarter = f"{demo.today.year}-Q{(demo.today.month - 1) // 3 + 1}"
    for person, value in [("li.na", "1000000"), ("sun.hao", "400000"), ("liu.yang", "500000")]:
        perf.command(
            "PUT",
            "/targets",
            "zhao.min",
            {
                "indicator_id": sales["id"],
                "subject_kind": "person",
                "subject": person,
                "period": quarter,
                "value": value,
                "basis": "The department's quarterly goal by accounts held",
            },
        )
    perf.post(
        "/market-shares",
        "wu.fang",
        {
            "subject_kind": "department",
            "subject": "sales",
            "period": quarter,
            "percent": "12.5",
            "source": "Delta logistics IT survey",
        },
    )
    first_day = {"Q1": "01-01", "Q2": "04-01", "Q3": "07-01", "Q4": "10-01"}[period[-2:]]
    cycle = perf.post(
        "/cycles",
        "tang.hui",
        {
            "name": f"Sales evaluation {period}",
            "kind": "quarterly",
            "period": period,
            "ratings_due": f"{period[:4]}-{first_day}",
            "finalize_due": demo.today.isoformat(),
            "feedback_due": (demo.today + timedelta(days=7)).isoformat(),
            "weights": [{"indicator_id": sales["id"], "weight": "40"}],
            "ratings_weight": "60",
            "standard": "60",
            "excellence": "90",
            "departments": ["sales"],
            "people": ["li.na", "liu.yang", "sun.hao"],
        },
    )
    opened = perf.until(
        "the cycle's evaluations in their view",
        lambda: perf.items("/evaluations", "tang.hui", cycle_id=cycle["id"]),
        lambda items: len(items) == 4,  # the department: its head and three people
    )
    evaluations = {e["person"]: e["id"] for e in opened}
    ratings = {
        "zhao.min": [("wang.jun", 4), ("hu.bo", 4)],
        "li.na": [("zhao.min", 5), ("liu.yang", 5)],
        "liu.yang": [("zhao.min", 4), ("li.na", 4)],
        "sun.hao": [("zhao.min", 2), ("li.na", 3)],
    }
    for person, given in ratings.items():
        for rater, score in given:
            perf.post(
                f"/evaluations/{evaluations[person]}/ratings",
                rater,
                {
                    "attitude": score,
                    "collaboration": score,
                    "innovation": score,
                    "comments": "As seen this quarter",
                },
            )
    final = perf.post(f"/cycles/{cycle['id']}/finalize", "tang.hui")
    perf.seen(f"/cycles/{cycle['id']}", "tang.hui", final)
    for person in ratings:
        fb = perf.post(
            f"/evaluations/{evaluations[person]}/feedback",
            demo.people[person].supervisor or "wang.jun",
            {
                "strengths": "Customers trust you",
                "gaps": "Forecasts",
                "suggestions": "Weekly pipeline review",
            },
        )
        perf.seen(f"/evaluations/{evaluations[person]}", "tang.hui", fb)
    perf.post(
        f"/evaluations/{evaluations['li.na']}/acknowledge",
        "li.na",
        {"comment": "Thank you"},
    )
    perf.post(
        "/incentives",
        "tang.hui",
        {
            "person": "li.na",
            "cycle_id": cycle["id"],
            "kind": "bonus",
            "reason": "Excellent quarter: the Huanan pilot",
            "bonus": money("20000.00"),
        },
    )
    perf.post(
        "/improvement-plans",
        "tang.hui",
        {
            "person": "sun.hao",
            "cycle_id": cycle["id"],
            "measures": ["coaching"],
            "description": "Weekly coaching by the head of sales",
            "until": (demo.today + timedelta(days=90)).isoformat(),
            "reason": "Below standard this quarter",
        },
    )
    perf.until(
        "performance rewarding the converted lead's finder",
        lambda: perf.items("/lead-rewards", "tang.hui", finder="li.na"),
    )
    demo.say(
        f"  performance: targets, a market share, the {period} evaluation finalized with"
        " ratings, feedback, a bonus and an improvement plan; li.na's lead reward (performance)"
    )
