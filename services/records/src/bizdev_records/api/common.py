"""What the API's modules share: the application, the content store, and who reads what."""

from __future__ import annotations

from typing import Annotated, Any

from bizdev_common.api import Command, application, change, create
from bizdev_common.domain import Actor, Forbidden, Role
from bizdev_common.service import Runtime
from fastapi import Depends

from bizdev_records.application import RecordsApplication
from bizdev_records.storage import ContentStore, PostgresContentStore

App = Annotated[RecordsApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[RecordsApplication], Depends(change)]
Create = Annotated[Command[RecordsApplication], Depends(create)]


_stores: dict[int, PostgresContentStore] = {}


def store_of(rt: Runtime[Any, Any]) -> ContentStore:
    """The process's content store (one per query pool: one per API process)."""
    store = _stores.get(id(rt.pool))
    if store is None:
        store = _stores[id(rt.pool)] = PostgresContentStore(rt.pool, rt.settings.schema_name)
    return store


def reads_everything(actor: Actor) -> bool:
    """The archivist keeps the archive, management decides on it, the auditor reads it all."""
    return actor.reads_all_kept_by(Role.ARCHIVIST)


def reads_record(actor: Actor, department: str) -> bool:
    """Who reads a record's document and history: those who read everything, and its own
    department. Everyone else finds it in the catalogue (number, title, where it is)."""
    return reads_everything(actor) or actor.department == department


def require_archive_reader(actor: Actor) -> None:
    if not reads_everything(actor):
        raise Forbidden("this list is read by the archivist, management and the auditor")
