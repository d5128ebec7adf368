"""A project's budget and its expenses (finance)."""

from __future__ import annotations

from .client import Demo
from .people import last_month, money

# --- §7: budget, spending, overspend ----------------------------------------------------


def budget(demo: Demo) -> None:
    fin, project = demo.finance, demo.made["project"]
    [budget] = fin.until(
        "finance opening the approved plan's budget",
        lambda: fin.items("/budgets", "ma.lin", project_id=project),
    )
    approved = fin.post(f"/budgets/{budget['id']}/approve", "ma.lin", {"contingency_percent": "10"})
    view = fin.seen(f"/budgets/{budget['id']}", "ma.lin", approved)
    marketing = next(line for line in view["lines"] if line["category"] == "marketing")
    spent = demo.today.isoformat()
    first = fin.post(
        f"/budgets/{budget['id']}/expenses",
        "guo.qiang",
        {
            "line_id": marketing["line_id"],
            "amount": money("80000.00"),
            "spent_on": spent,
            "vendor": "Shenzhen Expo Centre",
            "description": "Logistics trade show booth",
        },
    )
    fin.post(
        f"/budgets/{budget['id']}/expenses/{first['expense_id']}/pay",
        "xu.mei",
        {"paid_on": spent},
    )
    held = fin.post(
        f"/budgets/{budget['id']}/expenses",
        "guo.qiang",
        {
            "line_id": marketing["line_id"],
            "amount": money("60000.00"),
            "spent_on": spent,
            "vendor": "Print House",
            "description": "Pilot brochures and a customer film",
            "reason": "The customer asked for a film for its board",
            "necessity": "Without it the rollout decision slips a quarter",
        },
    )
    fin.post(f"/budgets/{budget['id']}/expenses/{held['expense_id']}/approve", "wang.jun")
    fin.post(
        f"/budgets/{budget['id']}/expenses/{held['expense_id']}/pay",
        "xu.mei",
        {"paid_on": spent},
    )
    # Past the line's budget and contingency again: waits in management's inbox.
    fin.post(
        f"/budgets/{budget['id']}/expenses",
        "guo.qiang",
        {
            "line_id": marketing["line_id"],
            "amount": money("15000.00"),
            "spent_on": spent,
            "vendor": "Shenzhen Expo Centre",
            "description": "A second booth at the autumn fair",
            "reason": "The organiser offered a corner booth",
            "necessity": "Two customers asked to meet us there",
        },
    )
    year, month = last_month(demo.today)
    period = fin.post("/periods", "ma.lin", {"year": year, "month": month})
    fin.seen(f"/periods/{period['id']}/report", "ma.lin", period)
    fin.post(f"/periods/{period['id']}/finalize", "ma.lin")
    demo.say(
        "  finance: budget approved with 10% contingency, a trade show paid, an overspend"
        " held and approved by management, then paid, another waiting for management;"
        f" {year}-{month:02d} closed (finance)"
    )
