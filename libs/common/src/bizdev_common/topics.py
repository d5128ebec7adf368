"""The topics a service uses, created explicitly and kept for good.

Read models are rebuilt from the beginning of their topics (`rebuild-views`, or on their own
when a new version changes a view's tables), so a topic that lost its head yields a partial
view. A broker's auto-created topic gets the broker's default retention (seven days unless
told otherwise) and one replica; so each service creates the topics it publishes to and reads
from before its consumers start, if missing, with `retention.ms=-1` and `retention.bytes=-1`,
and the partitions and replication factor of its settings (`topic_partitions`,
`topic_replication_factor`). An existing topic is not changed (its owner may have set more);
one that does not keep its records for good is reported at every start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from bizdev_common.settings import ServiceSettings

if TYPE_CHECKING:
    from bizdev_common.projector import Projector
    from bizdev_common.reactions import ReactionRunner

log = logging.getLogger(__name__)

KEEP_FOR_GOOD = {"retention.ms": "-1", "retention.bytes": "-1"}


def used_by(
    own: str,
    dead_letters: str,
    projectors: Iterable[Projector],
    reactions: Iterable[ReactionRunner],
) -> list[str]:
    """The service's own topic, its dead-letter topic and every topic it consumes."""
    names = [own, dead_letters]
    names += [t for p in projectors for t in p.projection.topics]
    names += [t for r in reactions for t in r.contracts]
    return sorted(set(names))


async def ensure(settings: ServiceSettings, names: Iterable[str]) -> list[str]:
    """Creates the missing topics, kept for good; returns those it created. Raises when
    Kafka cannot be reached or refuses (the caller retries)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=f"{settings.service}-admin"
    )
    await admin.start()
    try:
        wanted = sorted(set(names))
        existing = set(await admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        created = await _create(admin, settings, missing) if missing else []
        for name, config in (await retention(admin, wanted)).items():
            if any(config.get(k) != v for k, v in KEEP_FOR_GOOD.items()):
                log.error(
                    "topic %s does not keep its records for good (%s): a view rebuilt from it "
                    "after they expire is partial; set retention.ms=-1 and retention.bytes=-1",
                    name,
                    ", ".join(f"{k}={config.get(k)}" for k in KEEP_FOR_GOOD),
                )
        return created
    finally:
        await admin.close()


async def _create(
    admin: AIOKafkaAdminClient, settings: ServiceSettings, names: list[str]
) -> list[str]:
    response = await admin.create_topics(
        [
            NewTopic(
                name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs=KEEP_FOR_GOOD,
            )
            for name in names
        ]
    )
    created = []
    for name, code, *detail in response.topic_errors:
        error = for_code(code) if code else None
        if error is None:
            created.append(name)
            log.info(
                "created topic %s: %d partitions, replication factor %d, kept for good",
                name,
                settings.topic_partitions,
                settings.topic_replication_factor,
            )
        elif error is not TopicAlreadyExistsError:  # another replica was first: fine
            raise error(f"cannot create topic {name}: {detail[0] if detail else ''}")
    return created


async def retention(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """The effective retention settings of existing topics."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, dict(KEEP_FOR_GOOD)) for n in names]
    if not resources:
        return {}
    out: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for code, _message, _type, name, entries, *_ in response.resources:
            if not code:
                out[name] = {entry[0]: entry[1] for entry in entries}
    return out
