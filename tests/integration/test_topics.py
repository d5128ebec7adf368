"""Topics keep their events for good: each service creates the topics it uses, if missing,
with retention.ms=-1 and retention.bytes=-1 set on the topic itself (not left to the
broker's default), and the partitions and replication factor of its settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from bizdev_common import topics
from bizdev_common.settings import ServiceSettings

from .conftest import Infra, ServiceProcess, eventually, unique

DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs v1+ config_source: set on the topic itself


@pytest.fixture
async def admin(infra: Infra) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def set_on_topic(admin: AIOKafkaAdminClient, name: str) -> dict[str, str]:
    """The configs set on the topic itself, not inherited from the broker's defaults."""
    (response,) = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, dict(topics.KEEP_FOR_GOOD))]
    )
    ((code, message, _type, _name, entries, *_),) = response.resources
    assert not code, message
    own: dict[str, str] = {}
    for entry in entries:
        source = entry[3]
        if source is False or source == DYNAMIC_TOPIC_CONFIG:  # v0: is_default; v1+: source
            own[entry[0]] = entry[1]
    return own


async def partitions(admin: AIOKafkaAdminClient, name: str) -> int:
    (described,) = await admin.describe_topics([name])
    return len(described["partitions"])


def settings(infra: Infra, **kw: Any) -> ServiceSettings:
    return ServiceSettings(service="topics", kafka_bootstrap_servers=infra.kafka_bootstrap, **kw)


async def test_missing_topics_are_created_kept_for_good_with_the_settings(
    infra: Infra, admin: AIOKafkaAdminClient
) -> None:
    names = [unique("bizdev.test.events.v1"), unique("bizdev.test.dlq.v1")]
    s = settings(infra, topic_partitions=2, topic_replication_factor=1)

    assert await topics.ensure(s, names) == sorted(names)

    for name in names:
        assert await set_on_topic(admin, name) == topics.KEEP_FOR_GOOD
        assert await partitions(admin, name) == 2
    # Again, by another replica or the next start: nothing to do.
    assert await topics.ensure(s, names) == []


async def test_an_existing_topic_is_left_alone_but_reported_when_it_expires_records(
    infra: Infra, admin: AIOKafkaAdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique("bizdev.test.events.v1")
    await admin.create_topics([NewTopic(name, 1, 1, topic_configs={"retention.ms": "3600000"})])
    await eventually(lambda: admin.list_topics(), lambda found: name in found)

    with caplog.at_level(logging.ERROR, logger="bizdev_common.topics"):
        assert await topics.ensure(settings(infra), [name]) == []

    assert (await set_on_topic(admin, name)).get("retention.ms") == "3600000"
    assert any(name in r.getMessage() and "for good" in r.getMessage() for r in caplog.records)


async def test_the_services_create_the_topics_they_use(
    projects: ServiceProcess, crm: ServiceProcess, admin: AIOKafkaAdminClient
) -> None:
    used = [
        "bizdev.projects.events.v1",
        "bizdev.projects.dlq.v1",
        "bizdev.crm.events.v1",
        "bizdev.crm.dlq.v1",
    ]
    await eventually(lambda: admin.list_topics(), lambda found: set(used) <= set(found))
    for name in used:
        assert await set_on_topic(admin, name) == topics.KEEP_FOR_GOOD, name
        assert await partitions(admin, name) == ServiceSettings(service="x").topic_partitions
