"""The archive: files and records kept, lent and destroyed, and a backfile (records)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from .client import Demo
from .people import NAMESPACE

# --- §9: records ------------------------------------------------------------------------


def archive(demo: Demo) -> None:
    rec = demo.records
    subject = str(uuid.uuid5(NAMESPACE, "spring-campaign"))
    file = rec.post(
        "/files", "wu.fang", {"subject_id": subject, "title": "Logistics campaign 2026"}
    )
    brochure = rec.post(
        "/records",
        "wu.fang",
        {"file_id": file["id"], "title": "Trade show brochure", "medium": "physical"},
    )
    rec.post(
        f"/records/{brochure['id']}/location",
        "wu.fang",
        {"room": "B1", "shelf": "3", "box": "17"},
    )
    study = rec.post(
        "/records",
        "wu.fang",
        {"file_id": file["id"], "title": "Market study", "medium": "electronic"},
    )
    rec.command(
        "PUT",
        f"/records/{study['id']}/content",
        "wu.fang",
        None,
        params={"filename": "market-study.txt"},
        content=b"Warehouse automation in the delta: 12% a year.\n",
        headers={"Content-Type": "text/plain"},
    )
    for record in (brochure["id"], study["id"]):
        rec.post(f"/records/{record}/number", "luo.yu", {"series": "material"})
        rec.post(f"/records/{record}/bind", "luo.yu")
    returned = rec.post(
        f"/records/{brochure['id']}/loans",
        "wu.fang",
        {"purpose": "Next trade show", "due_on": (demo.today + timedelta(days=7)).isoformat()},
    )
    loan = returned["loan_id"]
    rec.post(f"/records/{brochure['id']}/loans/{loan}/approve", "zhou.xin")
    rec.post(f"/records/{brochure['id']}/loans/{loan}/lend", "luo.yu")
    rec.post(
        f"/records/{brochure['id']}/loans/{loan}/return",
        "luo.yu",
        {"intact": True, "condition": "As lent"},
    )
    out = rec.post(
        f"/records/{study['id']}/loans",
        "liu.yang",
        {
            "purpose": "Proposal for Delta Fresh",
            "due_on": (demo.today + timedelta(days=14)).isoformat(),
        },
    )
    rec.post(f"/records/{study['id']}/loans/{out['loan_id']}/approve", "zhao.min")
    rec.post(f"/records/{study['id']}/loans/{out['loan_id']}/lend", "luo.yu")
    project = demo.made["project"]
    rec.until(
        "records filing the project's documents",
        lambda: rec.items("/records", "luo.yu", subject_id=project),
    )
    demo.say(
        "  records: a marketing file, a brochure and a study numbered and bound, one lent"
        " and returned, one out on loan; project, customer and contract files (records)"
    )


def backfile(demo: Demo) -> None:
    """The market department hands the archive what is left of a trade fair years ago.
    Its active life ended when the fair did, so its retention is over already: the
    periodic check finds it, and the archivist has part of it destroyed."""
    rec = demo.records
    year = demo.today.year - 5
    fair_ended = date(year, 10, 22)
    subject = str(uuid.uuid5(NAMESPACE, f"trade-fair-{year}"))
    file = rec.post(
        "/files", "wu.fang", {"subject_id": subject, "title": f"Logistics trade fair {year}"}
    )
    found: dict[str, str] = {}
    for title, box in (
        ("Stand handouts", "31"),
        ("Visitor sign-up sheets", "31"),
        ("Stand photographs", "32"),
    ):
        record = rec.post(
            "/records",
            "wu.fang",
            {"file_id": file["id"], "title": title, "medium": "physical"},
        )
        rec.post(
            f"/records/{record['id']}/location",
            "wu.fang",
            {"room": "B2", "shelf": "1", "box": box},
        )
        rec.post(f"/records/{record['id']}/number", "luo.yu", {"series": "material"})
        rec.post(f"/records/{record['id']}/bind", "luo.yu")
        found[title] = record["id"]
    rec.post(
        f"/files/{file['id']}/close",
        "luo.yu",
        {"reason": f"The {year} fair is long over", "ended_on": fair_ended.isoformat()},
    )
    rec.until(
        "the periodic check finding the trade fair file's retention over",
        lambda: rec.items("/inbox", "luo.yu", kind="retention_over", record_id=file["id"]),
        within=60,
    )
    # The photographs wait: marketing may want them for its next fair.
    shredded = [found["Stand handouts"], found["Visitor sign-up sheets"]]
    listed = rec.post(
        "/destruction-lists",
        "luo.yu",
        {"record_ids": shredded, "reason": f"Handouts and sign-up sheets of the {year} fair"},
    )
    rec.post(f"/destruction-lists/{listed['id']}/approve", "wang.jun")
    rec.post(
        f"/destruction-lists/{listed['id']}/carry-out",
        "luo.yu",
        {"witness": "gao.ping", "method": "shredded"},
    )
    demo.say(
        f"  records: a {year} trade fair's material closed as of the day the fair ended;"
        " its retention over, two records destroyed before a witness with management's"
        " approval, the photographs still due for destruction (records)"
    )
