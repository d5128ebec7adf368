"""The outbox relay: commands succeed while the broker is down, and once it is back every
committed event reaches the topic exactly once per position, in order per aggregate."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import httpx
import pytest
from bizdev_projects.published import CONTRACT

from .conftest import Infra, ServiceProcess, by_subject, eventually, headers_of, read_topic
from .flows import People, draft, ok

TOPIC = "bizdev.projects.events.v1"


async def test_commands_succeed_while_kafka_is_down_and_every_event_arrives_once(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    if infra.kafka is None:
        pytest.skip("the broker was not started by the tests, so they may not stop it")
    people = People()
    expected: dict[str, int] = {}
    infra.kafka.stop()
    try:
        for i in range(6):
            app_id = (await draft(http, people, title=f"Outage proposal {i}"))["id"]
            await ok(
                await http.patch(
                    f"/applications/{app_id}",
                    json={"title": f"Renamed {i}"},
                    headers=people.applicant,
                )
            )
            submitted = await ok(
                await http.post(f"/applications/{app_id}/submit", headers=people.applicant)
            )
            expected[app_id] = submitted["version"]
        # Commands still work, so the pod stays in its Service: ready, but degraded, once the
        # worker has reported the broker gone.
        ready = await eventually(
            lambda: http.get("/readyz"), lambda r: r.json()["checks"]["kafka"] == "unreachable"
        )
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded"
    finally:
        infra.kafka.start()

    def all_arrived(records: list) -> bool:  # type: ignore[type-arg]
        return len(by_subject(records, *expected)) >= sum(expected.values())

    records = await read_topic(infra.kafka_bootstrap, TOPIC, all_arrived, within=120)
    mine = by_subject(records, *expected)
    positions = [int(headers_of(r)["ce_sequence"]) for r in mine]
    assert len(positions) == len(set(positions)) == sum(expected.values())
    for app_id, last_version in expected.items():
        versions = [
            CONTRACT.parse(headers_of(r)["ce_type"], r.value).version  # type: ignore[union-attr]
            for r in by_subject(mine, app_id)
        ]
        assert versions == list(range(1, last_version + 1))

    # The service's own consumers came back too: the read model catches up.
    for app_id, version in expected.items():
        view = await ok(
            await http.get(
                f"/applications/{app_id}", params={"min_version": version}, headers=people.applicant
            )
        )
        assert view["state"] == "submitted"
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_every_committed_event_reaches_the_topic_when_the_service_is_killed(
    http: httpx.AsyncClient, infra: Infra, projects: ServiceProcess
) -> None:
    people = People()
    created: list[str] = []

    async def busy(i: int) -> None:
        try:
            app_id = (await draft(http, people, title=f"Crash proposal {i}"))["id"]
            created.append(app_id)
            await http.post(f"/applications/{app_id}/submit", headers=people.applicant)
        except httpx.HTTPError:
            pass  # the process died under this request: it committed or it did not

    work = [asyncio.create_task(busy(i)) for i in range(40)]
    # Killed once a few commands went through and the rest are in flight, however busy the
    # machine is.
    await eventually(lambda: len(created), lambda n: n >= 3)
    projects.stop(signal.SIGKILL)  # its API mid-command and its worker mid-publication
    await asyncio.gather(*work)
    projects.start()

    conn = await asyncpg.connect(infra.database_url)
    try:
        committed = await conn.fetch(
            "SELECT originator_id, originator_version, notification_id "
            'FROM "projects".projects_events WHERE originator_id = ANY($1::uuid[])',
            created,
        )
    finally:
        await conn.close()
    assert committed, "nothing was committed before the kill"
    wanted = {(str(r["originator_id"]), r["originator_version"]) for r in committed}

    def published(records: list) -> set[tuple[str, int]]:  # type: ignore[type-arg]
        return {
            (h["ce_subject"], int(h["ce_id"].rsplit("/", 1)[1]))
            for h in map(headers_of, records)
            if h.get("ce_subject") in created
        }

    records = await read_topic(
        infra.kafka_bootstrap, TOPIC, lambda rs: published(rs) >= wanted, within=120
    )
    assert published(records) == wanted
    by_position = {int(r["notification_id"]) for r in committed}
    assert {int(headers_of(r)["ce_sequence"]) for r in by_subject(records, *created)} == (
        by_position
    )

    # And the restarted worker's views reach every committed version, and follow new
    # commands on every partition again (30 records: all three partitions but with odds of
    # 1 in 60,000). Its consumers get their partitions only once Kafka has dropped the killed
    # member's, seconds later; the tests after this one read with a 5 s wait.
    latest: dict[str, int] = {}
    for record_id, version in wanted:
        latest[record_id] = max(version, latest.get(record_id, 0))
    for i in range(30):
        fresh = await draft(http, people, title=f"After the crash {i}")
        latest[fresh["id"]] = fresh["version"]
    conn = await asyncpg.connect(infra.database_url)
    try:
        await eventually(
            lambda: conn.fetch(
                'SELECT id::text, version FROM "projects".applications WHERE id = ANY($1::uuid[])',
                list(latest),
            ),
            lambda rows: {r["id"]: r["version"] for r in rows} == latest,
            within=90,
        )
    finally:
        await conn.close()
