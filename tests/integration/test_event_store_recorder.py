"""The services' recorder (bizdev_common.eventstore.ServiceRecorder, which appends in one call
to a database function) passes the eventsourcing library's own recorder test cases, on a real
PostgreSQL: what the applications and the notification log rely on is the library's. And
what it adds: no holes in the notification ids, and no collision with the library's insert."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import psycopg
import pytest
from bizdev_common.eventstore import ServiceRecorder
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from psycopg import sql

from .conftest import Infra


@pytest.fixture(scope="module")
def database_url(infra: Infra) -> str:
    return infra.database_url


class _OnPostgres:
    """A schema of its own for each test, dropped after it: the cases count notification ids
    from 1."""

    database_url: str

    @pytest.fixture(autouse=True)
    def _schema(self, database_url: str) -> Any:
        self.database_url = database_url
        self.schema = f"recorder_{uuid4().hex[:10]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        self.datastores: list[PostgresDatastore] = []
        yield
        for datastore in self.datastores:
            datastore.close()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))

    def create_recorder(self) -> ServiceRecorder:
        info = psycopg.conninfo.conninfo_to_dict(self.database_url)
        datastore = PostgresDatastore(
            dbname=str(info["dbname"]),
            host=str(info["host"]),
            port=str(info["port"]),
            user=str(info["user"]),
            password=str(info.get("password") or ""),
            schema=self.schema,
            # The concurrent cases run ten writers and two readers at once.
            pool_size=12,
            lock_timeout=10,
        )
        self.datastores.append(datastore)
        recorder = ServiceRecorder(
            datastore, events_table_name="events", tracking_table_name="tracking"
        )
        recorder.create_table()
        return recorder


class TestApplicationRecorder(_OnPostgres, ApplicationRecorderTestCase[ServiceRecorder]):
    def test_insert_subscribe(self) -> None:
        # Subscriptions wake on the function's NOTIFY.
        self.optional_test_insert_subscribe()


class TestProcessRecorder(_OnPostgres, ProcessRecorderTestCase):
    pass


class TestTrackingRecorder(_OnPostgres, TrackingRecorderTestCase):
    pass


class TestNonInterleavingNotificationIds(_OnPostgres, NonInterleavingNotificationIDsBaseCase):
    pass


def _event(version: int = 1) -> StoredEvent:
    return StoredEvent(uuid4(), version, "topic", b"{}")


class TestNotificationIds(_OnPostgres):
    def test_a_rolled_back_append_leaves_no_hole(self) -> None:
        recorder = self.create_recorder()
        first = _event()
        assert recorder.insert_events([first]) == [1]
        with pytest.raises(IntegrityError):
            recorder.insert_events([_event(), _event(), first])
        assert recorder.insert_events([_event(), _event()]) == [2, 3]
        assert [n.id for n in recorder.select_notifications(None, 10)] == [1, 2, 3]

    def test_the_librarys_own_insert_follows_on_without_colliding(self) -> None:
        """A process still on the library's insert (a rolling deploy) draws its ids from the
        table's sequence, which the function keeps past the ids it gave."""
        recorder = self.create_recorder()
        library = PostgresProcessRecorder(
            recorder.datastore, events_table_name="events", tracking_table_name="tracking"
        )
        assert recorder.insert_events([_event(), _event()]) == [1, 2]
        assert library.insert_events([_event()]) == [3]
        assert recorder.insert_events([_event()]) == [4]

    def test_a_position_drawn_from_the_sequence_is_never_given(self) -> None:
        """One drawn by hand (to stamp a record put on a topic) or by the library's insert
        that then rolled back: the next append follows it, and a failed one moves nothing."""
        recorder = self.create_recorder()
        assert recorder.insert_events([_event()]) == [1]
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
                (f"{self.schema}.events",),
            )
            row = curs.fetchone()
        assert row is not None
        assert row["nextval"] == 2
        first = _event()
        assert recorder.insert_events([first]) == [3]
        with pytest.raises(IntegrityError):
            recorder.insert_events([_event(), first])
        assert recorder.insert_events([_event()]) == [4]
