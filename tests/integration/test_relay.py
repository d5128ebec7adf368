"""The outbox relay: commands succeed while the broker is down, and once it is back every
committed event reaches the topic exactly once per position, in order per aggregate."""

from __future__ import annotations

import httpx
import pytest
from bizdev_projects.contract import CONTRACT

from .conftest import Infra, by_subject, headers_of, read_topic
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
        assert (await http.get("/readyz")).status_code == 503
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
