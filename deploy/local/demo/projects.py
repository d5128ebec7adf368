"""A project initiated and planned (projects)."""

from __future__ import annotations

from datetime import timedelta

from .client import Demo
from .people import money

# --- §2: leads and initiation ---------------------------------------------------------------


def initiation(demo: Demo) -> None:
    pj = demo.projects
    pj.post(
        "/market-insights",
        "wu.fang",
        {
            "kind": "industry_trend",
            "title": "Warehouse automation grows 12% a year",
            "content": "Logistics firms in the delta invest in tracking",
        },
    )
    pj.post(
        "/market-insights",
        "wu.fang",
        {
            "kind": "competitor",
            "title": "A rival sells RFID gates",
            "content": "Cheaper gates, no analytics",
        },
    )
    won = pj.post(
        "/leads",
        "li.na",
        {
            "customer": "Huanan Logistics",
            "need": "Stock tracking in three depots",
            "source": "trade show",
            "estimated_value": money("1250000.00"),
        },
    )
    pj.post(f"/leads/{won['id']}/qualify", "zhao.min", {"note": "Budget confirmed"})
    lost = pj.post(
        "/leads",
        "sun.hao",
        {
            "customer": "Corner Shops Ltd",
            "need": "A loyalty app",
            "source": "cold call",
            "estimated_value": money("40000.00"),
        },
    )
    pj.post(f"/leads/{lost['id']}/discard", "zhao.min", {"reasons": "Not our business"})
    pj.post(
        "/leads",
        "wu.fang",
        {
            "customer": "Delta Fresh Foods",
            "need": "Cold chain monitoring",
            "source": "seminar",
            "estimated_value": money("600000.00"),
        },
    )

    def application(who: str, title: str, lead: str | None, revenue: str) -> str:
        made = pj.post(
            "/applications",
            who,
            {
                "title": title,
                "background": "Customers lose stock they cannot see",
                "target_customers": "Logistics and retail in the delta",
                "expected_revenue": money(revenue),
                "preliminary_plan": "Pilot, then roll out",
                "lead_id": lead,
            },
        )
        pj.post(f"/applications/{made['id']}/submit", who)
        return str(made["id"])

    review = {
        "recommend": True,
        "feasibility": "Feasible with our sensor platform",
        "market_outlook": "Growing demand",
        "resource_needs": "Two engineers for six months",
    }
    approved_app = application("liu.yang", "Smart warehouse for Huanan", won["id"], "1250000.00")
    pj.post(f"/applications/{approved_app}/review", "zhao.min", review)
    approval = pj.post(
        f"/applications/{approved_app}/approve",
        "wang.jun",
        {
            "strategic_fit": "Opens logistics to us",
            "market_outlook": "Automation grows 12% a year",
            "economic_benefit": "1.25 M CNY at a 20% margin",
            "comments": "Go ahead",
        },
    )
    demo.made["project"] = approval["project_id"]
    rejected = application("sun.hao", "Loyalty app for corner shops", None, "40000.00")
    pj.post(
        f"/applications/{rejected}/review",
        "zhao.min",
        {**review, "recommend": False, "feasibility": "Outside our products"},
    )
    pj.post(f"/applications/{rejected}/reject", "wang.jun", {"reasons": "Not our market"})
    # Submitted by the market department: waits for its head's review (zhou.xin's inbox).
    application("wu.fang", "Cold chain pilot for Delta Fresh", None, "600000.00")
    demo.say(
        "  initiation: 2 market insights, 3 leads (qualified and converted, discarded, new),"
        " 3 applications (approved, rejected, waiting for review) (projects)"
    )


# --- §3, §6: planning and execution ---------------------------------------------------------


def planning(demo: Demo) -> None:
    pj, project = demo.projects, demo.made["project"]
    pj.command(
        "PUT",
        f"/projects/{project}/team-lead",
        "wang.jun",
        {"user_id": "guo.qiang", "responsibilities": "Runs the pilot and the rollout"},
    )
    pj.post(
        f"/projects/{project}/members",
        "guo.qiang",
        {"user_id": "he.jing", "responsibilities": "Sensors and dashboards"},
    )
    day = demo.today
    plan = pj.post(
        f"/projects/{project}/plan",
        "liu.yang",
        {
            "goals": "Stock tracking live in three Huanan depots",
            "marketing_strategy": "A reference case for logistics trade shows",
            "product_plan": "Warehouse sensors as a service",
            "milestones": [
                # Due yesterday and not done: projects reports it overdue at once.
                {
                    "name": "Kick-off workshop",
                    "due_date": (day - timedelta(days=1)).isoformat(),
                    "owner": "he.jing",
                },
                {
                    "name": "Pilot live",
                    "due_date": (day + timedelta(days=45)).isoformat(),
                    "owner": "he.jing",
                },
                {
                    "name": "Rollout",
                    "due_date": (day + timedelta(days=120)).isoformat(),
                    "owner": "guo.qiang",
                },
            ],
            "budget_lines": [
                {
                    "category": "marketing",
                    "amount": money("120000.00"),
                    "description": "Trade shows",
                },
                {
                    "category": "personnel",
                    "amount": money("300000.00"),
                    "description": "Two engineers",
                },
                {
                    "category": "procurement",
                    "amount": money("80000.00"),
                    "description": "Sensors",
                },
            ],
            "review_departments": ["sales", "finance"],
        },
    )
    pj.post(f"/plans/{plan['id']}/submit", "liu.yang")
    pj.post(f"/plans/{plan['id']}/review", "zhao.min", {"verdict": "passed"})
    last = pj.post(
        f"/plans/{plan['id']}/review",
        "ma.lin",
        {"verdict": "passed", "comments": "Budget within the margin"},
    )
    pj.seen(f"/plans/{plan['id']}", "song.yi", last)
    milestones = pj.until(
        "the approved plan's milestones",
        lambda: pj.items("/milestones", "guo.qiang", project_id=project),
        lambda ms: len(ms) == 3,
    )
    pilot = next(m for m in milestones if m["name"] == "Pilot live")
    pj.post(
        f"/projects/{project}/milestones/{pilot['id']}/progress",
        "guo.qiang",
        {"percent": 40, "note": "Sensors installed in the first depot"},
    )
    pj.command(
        "PUT",
        f"/projects/{project}/health",
        "guo.qiang",
        {"status": "at_risk", "note": "The kick-off slipped a week"},
    )
    deviation = pj.post(
        f"/projects/{project}/deviations",
        "guo.qiang",
        {
            "deviation": "Kick-off workshop a week late",
            "cause": "The customer's depot manager was away",
            "adjusted_strategy": "Kick-off with the deputy manager; pilot date kept",
        },
    )
    pj.post(
        f"/deviations/{deviation['id']}/acknowledge",
        "wang.jun",
        {"decision": "Accepted; keep the pilot date"},
    )
    meeting = pj.post(
        f"/projects/{project}/meetings",
        "guo.qiang",
        {
            "kind": "weekly",
            "title": "Pilot weekly",
            "meeting_date": day.isoformat(),
            "attendees": ["guo.qiang", "he.jing", "li.na"],
            "agenda": "Depot one status",
        },
    )
    pj.post(
        f"/meetings/{meeting['id']}/minutes",
        "guo.qiang",
        {
            "minutes": "Depot one sensors are in; two gateways missing",
            "attendees": ["guo.qiang", "he.jing", "li.na"],
            "action_items": [
                {
                    "description": "Order two gateways",
                    "owner": "he.jing",
                    "due_date": (day + timedelta(days=7)).isoformat(),
                }
            ],
        },
    )
    pj.post(
        f"/projects/{project}/contacts",
        "he.jing",
        {
            "party_kind": "customer",
            "party": "Huanan Logistics",
            "contact_date": day.isoformat(),
            "summary": "Confirmed the pilot depot",
        },
    )
    demo.say(
        "  planning: project with team lead and member, plan reviewed by sales and finance"
        " and approved, progress, a deviation acknowledged, a weekly meeting (projects)"
    )
