"""Customers, their contracts and their complaints (crm; a signed contract's receivable in
finance)."""

from __future__ import annotations

from datetime import timedelta

from .client import Demo
from .people import money

# --- §4: customers ------------------------------------------------------------------------


def customers(demo: Demo) -> None:
    crm = demo.crm
    specs = [
        ("Huanan Logistics", "Logistics", "trade_show", "li.na", "Stock tracking in 3 depots"),
        ("Pearl Retail Group", "Retail", "referral", "sun.hao", "Shelf availability"),
        ("Delta Fresh Foods", "Food", "online", "liu.yang", "Cold chain monitoring"),
    ]
    ids = []
    for name, industry, channel, owner, needs in specs:
        made = crm.post(
            "/customers",
            owner,
            {
                "name": name,
                "industry": industry,
                "channel": channel,
                "needs": needs,
                "address": "Shenzhen",
                "preferences": "Meetings in the morning",
                "contacts": [
                    {
                        "position": "Purchasing manager",
                        "name": f"Contact at {name}",
                        "phone": "+86 755 0000 0000",
                        "email": "purchasing@example.com",
                    }
                ],
            },
        )
        ids.append(made["id"])
    huanan, pearl, delta = ids
    demo.made["customers"] = ids
    crm.post(f"/customers/{huanan}/status", "li.na", {"status": "active"})
    proposal = crm.post(
        f"/customers/{huanan}/proposals",
        "li.na",
        {
            "title": "Warehouse sensors pilot",
            "description": "Sensors in one depot for a quarter",
            "value": money("1250000.00"),
        },
    )
    crm.post(
        f"/customers/{huanan}/proposals/{proposal['proposal_id']}/outcome",
        "li.na",
        {"outcome": "accepted", "notes": "Pilot agreed"},
    )
    visit = crm.post(
        "/follow-ups",
        "li.na",
        {"customer_id": huanan, "due_on": demo.today.isoformat(), "purpose": "Pilot review"},
    )
    crm.post(
        f"/follow-ups/{visit['id']}/outcome",
        "li.na",
        {"visited_on": demo.today.isoformat(), "satisfaction": 5, "notes": "Very pleased"},
    )
    # Due yesterday and not made: reported overdue by crm's scheduler.
    crm.post(
        "/follow-ups",
        "sun.hao",
        {
            "customer_id": pearl,
            "due_on": (demo.today - timedelta(days=1)).isoformat(),
            "purpose": "Quarterly visit",
        },
    )
    event = crm.post(
        "/customer-events",
        "zhao.min",
        {
            "kind": "appreciation",
            "title": "Customer appreciation dinner",
            "held_on": demo.today.isoformat(),
            "venue": "Harbour Hotel",
        },
    )
    for customer in (huanan, delta):
        crm.post(
            f"/customer-events/{event['id']}/invitations", "zhao.min", {"customer_id": customer}
        )
    crm.post(
        f"/customer-events/{event['id']}/attendance",
        "zhao.min",
        {"customer_id": huanan, "attended": True},
    )
    demo.say("  customers: 3 with contacts, a proposal, visits, an appreciation dinner (crm)")


# --- §4: contracts; §7.2 receivables -----------------------------------------------------


def contracts(demo: Demo) -> None:
    crm, fin = demo.crm, demo.finance
    huanan, pearl, _ = demo.made["customers"]
    day = demo.today.isoformat()
    signed = []
    for customer, number, title, value, person in [
        (huanan, "HT-2026-001", "Smart warehouse pilot", "1250000.00", "li.na"),
        (pearl, "HT-2026-002", "Shelf sensors for ten stores", "300000.00", "sun.hao"),
    ]:
        contract = crm.post(
            "/contracts",
            person,
            {
                "customer_id": customer,
                "number": number,
                "title": title,
                "value": money(value),
                "salesperson": person,
                "project_id": demo.made["project"] if customer == huanan else None,
            },
        )
        crm.post(f"/contracts/{contract['id']}/sign", "zhao.min", {"signed_on": day})
        signed.append(contract["id"])
    crm.post(
        "/contracts",
        "liu.yang",
        {
            "customer_id": demo.made["customers"][2],
            "number": "HT-2026-003",
            "title": "Cold chain study",
            "value": money("90000.00"),
            "salesperson": "liu.yang",
        },
    )

    def receivable_of(contract: str) -> str:
        [receivable] = fin.until(
            "finance opening the signed contract's receivable",
            lambda: fin.items("/receivables", "ma.lin", contract_id=contract),
        )
        return str(receivable["id"])

    big, small = (receivable_of(c) for c in signed)
    paid = fin.post(
        f"/receivables/{big}/invoices",
        "xu.mei",
        {
            "number": "INV-2026-0001",
            "amount": money("500000.00"),
            "due_on": (demo.today + timedelta(days=30)).isoformat(),
        },
    )
    fin.post(
        f"/receivables/{big}/invoices/{paid['invoice_id']}/payments",
        "xu.mei",
        {"amount": money("500000.00"), "paid_on": day},
    )
    # An invoice cannot be issued due in the past: these are due today, and finance's
    # scheduler reports them overdue (ReceivableOverdue) once the day is over.
    for receivable, number, amount in [
        (big, "INV-2026-0002", "300000.00"),
        (small, "INV-2026-0003", "150000.00"),
    ]:
        fin.post(
            f"/receivables/{receivable}/invoices",
            "xu.mei",
            {"number": number, "amount": money(amount), "due_on": day},
        )
    demo.say(
        "  contracts: 2 signed, 1 draft (crm); 3 invoices, 1 paid, 2 due today and overdue"
        " from tomorrow (finance)"
    )


# --- §4.3: complaints ---------------------------------------------------------------


def complaints(demo: Demo) -> None:
    crm = demo.crm
    _, pearl, _ = demo.made["customers"]
    first = crm.post(
        "/complaints",
        "sun.hao",
        {
            "customer_id": pearl,
            "channel": "phone",
            "severity": "high",
            "subject": "Sensors offline in two stores",
            "description": "No readings since Monday",
        },
    )
    crm.post(f"/complaints/{first['id']}/assign", "zhao.min", {"owner": "sun.hao"})
    crm.post(
        f"/complaints/{first['id']}/respond",
        "sun.hao",
        {"proposal": "Replace the gateways within two days"},
    )
    crm.post(
        f"/complaints/{first['id']}/resolve",
        "sun.hao",
        {"resolution": "Gateways replaced; readings back"},
    )
    crm.post(
        f"/complaints/{first['id']}/corrective-actions",
        "sun.hao",
        {
            "description": "Spare gateways in every region",
            "owner": "he.jing",
            "due_on": (demo.today + timedelta(days=14)).isoformat(),
        },
    )
    crm.post(
        f"/complaints/{first['id']}/close",
        "sun.hao",
        {
            "cause": "product_quality",
            "root_cause": "A gateway batch with bad power supplies",
            "corrective_action": "Spare gateways in every region",
            "satisfaction": 4,
            "confirmed_by": "sun.hao",
            "confirmation_channel": "phone",
            "confirmed_on": demo.today.isoformat(),
        },
    )
    second = crm.post(
        "/complaints",
        "sun.hao",
        {
            "customer_id": pearl,
            "channel": "email",
            "severity": "medium",
            "subject": "Invoice sent twice",
            "description": "The same invoice arrived twice",
        },
    )
    crm.post(f"/complaints/{second['id']}/assign", "zhao.min", {"owner": "sun.hao"})
    demo.say("  complaints: 2 from Pearl Retail, one closed with its root cause (crm)")
