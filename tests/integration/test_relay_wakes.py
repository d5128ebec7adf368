"""The relay wakes on the event store's NOTIFY rather than at its next poll: a commit is heard
on the leader's own connection, where the relay listens."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from bizdev_common.domain import Actor, Money, Role
from bizdev_common.leader import lead
from bizdev_common.settings import ServiceSettings
from bizdev_projects.application import ProjectsApplication

from .conftest import Infra


async def test_a_commit_wakes_the_relay_leader(infra: Infra) -> None:
    # A schema of its own, and no relay publishing it: the session's topics stay as they are.
    settings = ServiceSettings(
        service="projects", database_url=infra.database_url, db_schema=f"wake_{uuid.uuid4().hex}"
    )
    app = await asyncio.to_thread(ProjectsApplication, settings)
    stopping, woken = asyncio.Event(), asyncio.Event()
    try:
        async with lead(infra.database_url, f"wake:{settings.schema_name}", 15, stopping) as leader:
            assert leader is not None
            await leader.listen(app.recorder.channel_name, woken.set)  # type: ignore[attr-defined]
            assert not woken.is_set()
            await asyncio.to_thread(
                app.draft_application,
                Actor("wake", "sales", frozenset({Role.EMPLOYEE})),
                title="Heard at once",
                background="b",
                target_customers="t",
                expected_revenue=Money(Decimal(1), "CNY"),
                preliminary_plan="p",
                lead_id=None,
                customer_id=None,
            )
            # Without the notification nothing would set it: the leader does not poll here.
            await asyncio.wait_for(woken.wait(), 30)
    finally:
        stopping.set()
        await asyncio.to_thread(app.close)
