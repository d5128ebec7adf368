"""The operator's CLI, `bizdev`, against the real projects service, Kafka and PostgreSQL.

The acceptance: rebuilding a view while commands keep arriving ends, once they stop and the
live feed has taken the rest in, with the view a second rebuild in a quiet moment gives, and
queries never fail during the swap. The rebuild runs as an operator runs it, `bizdev rebuild
projects`, while one task sends commands over HTTP and another reads a list and a record the
whole time."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bizdev_common.projector import STORE_PARTITION
from bizdev_common.rebuild import shadow_schema
from bizdev_projects.projections import TABLES

from .conftest import Infra, ServiceProcess, eventually, launcher
from .flows import People, ok
from .test_finance_poison import PLAN_APPROVED
from .test_poison import PROJECTS_TOPIC, headers, parked, put, reserve_sequence

BIZDEV = str(Path(sys.executable).parent / "bizdev")
LEAD = {
    "customer": "ACME Logistics",
    "need": "Stock tracking",
    "source": "trade show",
    "estimated_value": {"amount": "800000", "currency": "CNY"},
}


def bizdev(service: ServiceProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIZDEV, *args], env=service.env, capture_output=True, text=True, timeout=300
    )


async def new_lead(http: httpx.AsyncClient, people: People, discard: bool) -> dict[str, Any]:
    lead: dict[str, Any] = await ok(
        await http.post("/leads", json=LEAD, headers=people.applicant), 201
    )
    if discard:
        lead = await ok(
            await http.post(
                f"/leads/{lead['id']}/discard",
                json={"reasons": "No budget this year"},
                headers=people.head,
            )
        )
    return lead


async def table_rows(conn: asyncpg.Connection, schema: str) -> dict[str, list[str]]:
    """Every row of every table of the projection, in a stable order. `fired_at` is the
    scheduler's mark, not the projection's."""
    rows = {}
    for table in TABLES:
        found = await conn.fetch(
            f"SELECT (to_jsonb(t) - 'fired_at')::text AS j FROM \"{schema}\".{table} t ORDER BY 1"
        )
        rows[table] = [r["j"] for r in found]
    return rows


async def test_rebuild_swaps_in_a_view_equal_to_the_incremental_one_and_queries_never_fail(
    projects: ServiceProcess,
    http: httpx.AsyncClient,
    infra: Infra,
) -> None:
    people = People()
    seeded = [await new_lead(http, people, discard=i % 2 == 0) for i in range(30)]
    watched = seeded[0]

    async def total() -> int:
        listed = await http.get(
            "/leads", params={"limit": 1, "department": people.department}, headers=people.head
        )
        return int(listed.json()["total"])

    await eventually(total, lambda n: n == len(seeded))  # the view has them all: from here on
    conn = await asyncpg.connect(infra.database_url)
    try:
        leads_oid = await conn.fetchval("SELECT 'projects.leads'::regclass::oid")
        stop = asyncio.Event()
        during: list[float] = []
        failures: list[str] = []
        reads = 0

        async def keep_commanding() -> None:
            i = 0
            while not stop.is_set():
                await new_lead(http, people, discard=i % 2 == 0)
                during.append(time.monotonic())
                i += 1

        async def keep_querying() -> None:
            nonlocal reads
            while not stop.is_set():
                listed = await http.get(
                    "/leads",
                    params={"limit": 5, "department": people.department},
                    headers=people.head,
                )
                one = await http.get(f"/leads/{watched['id']}", headers=people.head)
                reads += 1
                if listed.status_code != 200 or listed.json()["total"] < len(seeded):
                    failures.append(f"list: {listed.status_code} {listed.text[-200:]}")
                if one.status_code != 200 or one.json()["version"] != watched["version"]:
                    failures.append(f"detail: {one.status_code} {one.text[:200]}")

        tasks = [asyncio.create_task(keep_commanding()), asyncio.create_task(keep_querying())]
        await asyncio.sleep(0.5)
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            BIZDEV,
            "rebuild",
            "projects",
            env=projects.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 240)
        finished = time.monotonic()
        reads_during = reads
        await asyncio.sleep(0.5)  # and commands after the swap, onto the swapped tables
        stop.set()
        await asyncio.gather(*tasks)

        assert proc.returncode == 0, err.decode()
        assert "swapped in" in out.decode(), out.decode()
        assert failures == []
        assert reads_during > 10
        assert any(started < t < finished for t in during), "no command arrived during it"
        assert await conn.fetchval("SELECT 'projects.leads'::regclass::oid") != leads_oid
        assert not await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'projects\\_\\_%'"
        )
        # The view over two swapped tables came along with them: it reads the live ones.
        assert (
            await conn.fetchval(
                "SELECT count(DISTINCT d.refobjid) FROM pg_rewrite r "
                "JOIN pg_depend d ON d.objid = r.oid "
                "WHERE r.ev_class = 'projects.action_item_list'::regclass "
                "AND d.refobjid IN "
                "('projects.action_items'::regclass, 'projects.meetings'::regclass)"
            )
            == 2
        )

        # Once the live feed has taken every event in: the rows a quiet rebuild gives.
        await eventually(lambda: _feed_behind(conn), lambda behind: behind == 0)
        swapped_under_load = await table_rows(conn, "projects")
        again = await asyncio.to_thread(bizdev, projects, "rebuild", "projects")
        assert again.returncode == 0, again.stderr
        assert await table_rows(conn, "projects") == swapped_under_load
        assert sum(watched["id"] in row for row in swapped_under_load["leads"]) == 1
    finally:
        await conn.close()


async def _feed_behind(conn: asyncpg.Connection) -> int:
    """Events of projects' store its views have not applied yet."""
    behind: int = await conn.fetchval(
        "SELECT (SELECT max(notification_id) FROM projects.projects_events) - min(sequence) "
        "FROM projects.projection_tracking WHERE partition = $1",
        STORE_PARTITION,
    )
    return behind


async def test_token_is_one_the_services_accept_with_its_roles(
    projects: ServiceProcess, http: httpx.AsyncClient
) -> None:
    def token(*args: str) -> dict[str, str]:
        made = bizdev(projects, "token", *args, "--dept", "rebuilders")
        assert made.returncode == 0, made.stderr
        return {"Authorization": f"Bearer {made.stdout.strip()}"}

    finder = token("employee", "--user", "finder")
    head = token("employee", "department_head")
    lead = await ok(await http.post("/leads", json=LEAD, headers=finder), 201)
    # A department head may discard a lead of her department: the token says she is one.
    discard = {"reasons": "Not for us"}
    refused = await http.post(f"/leads/{lead['id']}/discard", json=discard, headers=finder)
    assert refused.status_code == 403
    await ok(await http.post(f"/leads/{lead['id']}/discard", json=discard, headers=head))
    bad = bizdev(projects, "token", "emperor")
    assert bad.returncode != 0


async def test_tail_history_and_lag_describe_what_happened(
    projects: ServiceProcess, http: httpx.AsyncClient, infra: Infra
) -> None:
    people = People()
    lead = await new_lead(http, people, discard=True)
    lead_id = lead["id"]

    def tailed() -> list[dict[str, Any]]:
        done = bizdev(
            projects,
            "tail",
            "projects",
            "--from-beginning",
            "--aggregate",
            lead_id,
            "--json",
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    events = await eventually(lambda: asyncio.to_thread(tailed), lambda es: len(es) == 2)
    assert [e["id"] for e in events] == [f"{lead_id}/1", f"{lead_id}/2"]
    assert {e["subject"] for e in events} == {lead_id}
    assert events[0]["data"]["customer"] == LEAD["customer"]
    assert events[1]["type"].startswith("bizdev.projects.")
    discards = bizdev(
        projects,
        "tail",
        PROJECTS_TOPIC,
        "--from-beginning",
        "--json",
        "--aggregate",
        lead_id,
        "--type",
        events[1]["type"],
        "--bootstrap",
        infra.kafka_bootstrap,
    )
    assert [json.loads(x)["id"] for x in discards.stdout.splitlines()] == [f"{lead_id}/2"]

    told = bizdev(projects, "history", "projects", lead_id, "--json")
    assert told.returncode == 0, told.stderr
    entries = [json.loads(line) for line in told.stdout.splitlines()]
    assert [e["version"] for e in entries] == [1, 2]
    assert entries[1]["by"] == people.head_id
    # The public model's JSON, as on the topic: money as amount and currency, no reprs.
    assert entries[0]["type"] == events[0]["type"]
    assert entries[0]["data"] == events[0]["data"]
    assert "Money(" not in told.stdout
    missing = bizdev(projects, "history", "projects", str(uuid.uuid4()))
    assert missing.returncode != 0

    # The views read projects' own event store: their position is a notification id, on the
    # store's partition of the topic, as the relay's.
    def lag() -> list[dict[str, Any]]:
        done = bizdev(projects, "lag", "projects", "--json")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def caught_up(rows: list[dict[str, Any]]) -> bool:
        views = [r for r in rows if r["consumer"] == "projects.leads"]
        relay = [r for r in rows if r["kind"] == "relay"]
        return [r["lag"] for r in relay] == [0] and [r["lag"] for r in views] == [0]

    rows = await eventually(lambda: asyncio.to_thread(lag), caught_up)
    [views] = [r for r in rows if r["consumer"] == "projects.leads"]
    [relay] = [r for r in rows if r["kind"] == "relay"]
    assert (views["kind"], views["partition"]) == ("projection", STORE_PARTITION)
    assert relay["consumer"] == "projects.relay"
    assert relay["position"] == relay["end"] >= 1


async def test_dlq_lists_a_parked_message_and_replay_reports_it_still_fails(
    finance: ServiceProcess, infra: Infra
) -> None:
    """Broken JSON on projects' topic, of a type finance's reaction reads: parked there."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken = uuid.uuid4()
        sequence = await reserve_sequence(conn, "projects")
        await put(
            infra,
            PROJECTS_TOPIC,
            broken,
            b"{not json",
            headers("projects", PLAN_APPROVED, broken, sequence),
        )
        letter = await parked(conn, "finance", ce_id=f"{broken}/1", handler="plan_budgets")
    finally:
        await conn.close()
    listing = bizdev(finance, "dlq", "list", "finance", "--json")
    assert listing.returncode == 0, listing.stderr
    [line] = [json.loads(x) for x in listing.stdout.splitlines() if f"{broken}/1" in x]
    assert (line["id"], line["state"]) == (letter["id"], "parked")
    assert line["handler"] == "reaction:plan_budgets"
    table = bizdev(finance, "dlq", "list", "finance")
    assert table.returncode == 0, table.stderr
    assert "dead letters" in table.stdout
    assert "parked" in table.stdout
    replay = bizdev(finance, "dlq", "replay", "finance", str(letter["id"]))
    assert replay.returncode == 1
    assert f"{letter['id']}: still failing" in replay.stderr


async def test_a_rebuild_is_refused_while_another_runs_or_when_others_read_its_tables(
    projects: ServiceProcess, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        # What a running rebuild of projects' views holds for as long as it runs.
        lock = zlib.crc32(f"bizdev-rebuild:{shadow_schema('projects', 'applications')}".encode())
        await conn.execute("SELECT pg_advisory_lock($1)", lock)
        refused = await asyncio.to_thread(bizdev, projects, "rebuild", "projects")
        assert refused.returncode == 1
        assert "a rebuild of projects.applications is running" in refused.stdout
        await conn.execute("SELECT pg_advisory_unlock($1)", lock)

        # A view of someone else's over a table of the projection would be dropped with it.
        await conn.execute("CREATE VIEW public.leads_report AS SELECT id FROM projects.leads")
        try:
            refused = await asyncio.to_thread(bizdev, projects, "rebuild", "projects")
        finally:
            await conn.execute("DROP VIEW public.leads_report")
        assert refused.returncode == 1
        assert "public.leads_report" in refused.stdout
        assert not await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'projects\\_\\_%'"
        )
    finally:
        await conn.close()


async def test_right_after_make_up_the_cli_needs_no_variables(
    projects: ServiceProcess, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """`make up` records the variables it gave the services (its random ports) in .state/dev;
    `bizdev` run in the checkout, with nothing exported, reads them."""
    lead = await new_lead(http, People(), discard=False)
    prefix = "BIZDEV_PROJECTS_"
    launcher.record_environment(
        tmp_path / ".state" / "dev",
        {k: v for k, v in projects.env.items() if k.startswith(prefix)},
    )
    bare = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    def tailed() -> list[dict[str, Any]]:
        done = subprocess.run(
            [BIZDEV, "tail", "projects", "--from-beginning", "--json"],
            env=bare,
            cwd=tmp_path / ".state",  # a subfolder of the checkout: found in a parent
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    events = await eventually(
        lambda: asyncio.to_thread(tailed), lambda es: lead["id"] in {e["subject"] for e in es}
    )
    assert events
