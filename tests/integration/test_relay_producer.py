"""The relay's producer (librdkafka) against a real broker: it places an aggregate's records
where Kafka's default partitioner (the Java client's, aiokafka's) placed its earlier ones, in
order, waits when its queue is full rather than drop, tells a record the broker refuses from a
broker it cannot reach."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from bizdev_common.producer import BatchProducer, Record, Unreachable
from confluent_kafka.admin import AdminClient, NewTopic

from .conftest import Infra, read_topic

PARTITIONS = 3


def new_topic(bootstrap: str, **config: str) -> str:
    name = f"producer.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, PARTITIONS, 1, config=config)])
    futures[name].result(30)
    return name


def records(keys: list[bytes], per_key: int, size: int = 10) -> list[Record]:
    return [
        (key, f"{i:0{size}d}".encode(), [("n", str(i).encode())])
        for i in range(per_key)
        for key in keys
    ]


async def test_a_full_queue_waits_and_every_record_lands_in_order_where_java_puts_it(
    infra: Infra,
) -> None:
    topic = await asyncio.to_thread(new_topic, infra.kafka_bootstrap)
    keys = [str(uuid.uuid4()).encode() for _ in range(20)]
    sent = records(keys, per_key=10)
    # Room for 5 records: publishing 200 fills it forty times over.
    producer = BatchProducer(
        infra.kafka_bootstrap, "test-producer", **{"queue.buffering.max.messages": 5}
    )
    try:
        await producer.connect(topic)
        assert await producer.publish(topic, sent) == (len(sent), None)
    finally:
        await producer.close()

    got = await read_topic(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= len(sent))
    assert len(got) == len(sent)  # none dropped, none twice
    java = DefaultPartitioner()
    partitions = list(range(PARTITIONS))
    for key in keys:
        mine = [r for r in got if r.key == key]
        assert {r.partition for r in mine} == {java(key, partitions, partitions)}
        assert [int(r.value) for r in sorted(mine, key=lambda r: r.offset)] == list(range(10))


@pytest.mark.parametrize(
    "settings",
    [{}, {"message.max.bytes": "3000"}],
    ids=["by-the-broker", "by-librdkafka-before-sending"],
)
async def test_a_record_too_large_is_refused_at_its_place(
    infra: Infra, settings: dict[str, str]
) -> None:
    topic = await asyncio.to_thread(
        new_topic, infra.kafka_bootstrap, **{"max.message.bytes": "2000"}
    )
    key = str(uuid.uuid4()).encode()
    batch = [*records([key], 2), (key, b"x" * 5000, []), *records([key], 1)]
    producer = BatchProducer(infra.kafka_bootstrap, "test-producer", **settings)
    try:
        await producer.connect(topic)
        acknowledged, refusal = await producer.publish(topic, batch)
    finally:
        await producer.close()
    assert acknowledged == 2
    assert refusal is not None
    assert "MSG_SIZE_TOO_LARGE" in refusal


async def test_a_broker_out_of_reach_raises() -> None:
    nobody = "127.0.0.1:9"  # discard: nothing listens there
    producer = BatchProducer(nobody, "test-producer", **{"message.timeout.ms": 500})
    try:
        with pytest.raises(Unreachable):
            await producer.connect("anything", within=1)
        with pytest.raises(Unreachable, match=r"_MSG_TIMED_OUT|_TRANSPORT"):
            await producer.publish("anything", records([b"k"], 3))
    finally:
        await producer.close(within=1)
