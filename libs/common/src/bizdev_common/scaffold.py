"""`bizdev new-service <name>`: a new service's folder, made the way every service is made
(docs/adding-a-service.md), with one record, one command, one published event, one view and
their tests, to be renamed and grown. Nothing else in the repository names the service: the
registry (bizdev_common.process) finds its folder."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from bizdev_common.process import WORKER_PORT_OFFSET, services

NAME = re.compile(r"[a-z][a-z0-9]{1,30}")
"""A service's name is its folder, its package (`bizdev_<name>`), its schema, its topic and
its variables' prefix (`BIZDEV_<NAME>_`): lower-case letters and digits."""

FILES = {
    "pyproject.toml": """\
[project]
name = "bizdev-${name}"
version = "0.1.0"
description = "bizdev ${name} service"
requires-python = ">=3.11"
dependencies = ["bizdev-common"]

[project.scripts]
bizdev-${name} = "bizdev_${name}.main:run"

[tool.uv.sources]
bizdev-common = { workspace = true }

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/bizdev_${name}"]

# The service's entry in the system (bizdev_common.process reads every services/*/ one).
[tool.bizdev]
port = ${port}
""",
    "src/bizdev_${name}/__init__.py": '''\
"""bizdev ${name}."""
''',
    "src/bizdev_${name}/domain/__init__.py": '''\
"""${name}'s records and their rules, free of I/O."""

from __future__ import annotations

from bizdev_common.domain import Actor, require_text
from eventsourcing.domain import Aggregate, event


class Note(Aggregate):
    """A note written in a department: the example record, to be renamed."""

    class Written(Aggregate.Created):
        by: str
        department: str
        title: str
        text: str

    @classmethod
    def write(cls, actor: Actor, *, title: str, text: str) -> Note:
        require_text("title", title)
        require_text("text", text)
        return cls(by=actor.user_id, department=actor.department, title=title, text=text)

    @event(Written)
    def __init__(self, by: str, department: str, title: str, text: str) -> None:
        self.department = department
        self.title = title
        self.text = text
''',
    "src/bizdev_${name}/published.py": '''\
"""${name}'s published events (topic `bizdev.${name}.events.v1`)."""

from __future__ import annotations

from bizdev_common.contract import EventContract, PublicEvent
from pydantic import Field

from bizdev_${name}.domain import Note


class NoteWritten(PublicEvent):
    """A note was written."""

    department: str = Field(description="The department it belongs to")
    title: str = Field(description="Its title")
    text: str = Field(description="What it says")


CONTRACT = EventContract("${name}", {Note.Written: NoteWritten})
''',
    "src/bizdev_${name}/application.py": '''\
"""${name}'s commands: load, decide (the records do), save."""

from __future__ import annotations

from bizdev_common.domain import Actor
from bizdev_common.eventstore import CommandResult, ServiceApplication

from bizdev_${name}.domain import Note


class ${Name}Application(ServiceApplication):
    name = "${name}"

    def write_note(self, actor: Actor, *, title: str, text: str) -> CommandResult:
        return self.commit(Note.write(actor, title=title, text=text))
''',
    "src/bizdev_${name}/projections/__init__.py": '''\
"""${name}'s read models: a projection per record family, with its own tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, put_record

from bizdev_${name}.published import CONTRACT, NoteWritten


class Notes(Projection):
    name = "notes"
    tables = ("notes",)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.notes (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            department text NOT NULL,
            title text NOT NULL,
            text text NOT NULL,
            written_by text NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case NoteWritten():
                values = {
                    "department": event.department,
                    "title": event.title,
                    "text": event.text,
                    "written_by": event.by or "",
                }
                await put_record(conn, self.t["notes"], event, values)


PROJECTIONS: Sequence[Callable[[str], Projection]] = (Notes,)
''',
    "src/bizdev_${name}/api/__init__.py": '''\
"""HTTP API of ${name}: typed routes that translate to commands and queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from bizdev_common.api import Accepted, Command, MinVersion, RuntimeDep, create, one_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Forbidden
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict

from bizdev_${name}.application import ${Name}Application

router = APIRouter(route_class=CommandRoute)
Create = Annotated[Command[${Name}Application], Depends(create)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    text: Text


class NoteView(BaseModel):
    id: UUID
    version: int
    department: str
    title: str
    text: str
    written_by: str
    created_at: datetime
    updated_at: datetime


@router.post(
    "/notes",
    status_code=201,
    response_model=Accepted,
    tags=["notes"],
    summary="Write a note",
    description="Publishes NoteWritten.",
)
def write(body: NoteIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.write_note(actor, title=body.title, text=body.text))


@router.get("/notes/{note_id}", response_model=NoteView, tags=["notes"], summary="A note")
async def get_note(
    note_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> NoteView:
    row = await one_of(rt, "notes", note_id, min_version, response)
    if row["department"] != actor.department:
        raise Forbidden("a note is read in its department")
    return NoteView.model_validate(dict(row))
''',
    "src/bizdev_${name}/main.py": '''\
"""Wiring: the parts of the ${name} service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import ServiceSettings, settings_for
from fastapi import FastAPI

from bizdev_${name}.api import router
from bizdev_${name}.application import ${Name}Application
from bizdev_${name}.projections import PROJECTIONS
from bizdev_${name}.published import CONTRACT


def parts(
    settings: ServiceSettings | None = None,
) -> ServiceParts[${Name}Application, ServiceSettings]:
    return ServiceParts(
        settings=settings or settings_for(ServiceSettings, "${name}"),
        title="bizdev ${name}",
        description="Notes written in a department.",
        application=${Name}Application,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-${name} api | worker | rebuild-views | dlq ...`"""
    serve(parts())
''',
    "tests/test_notes.py": '''\
"""A note's rules, and the command that writes one, over the in-memory event store."""

from __future__ import annotations

import pytest
from bizdev_common.domain import Actor, Role, RuleViolation
from bizdev_common.seam import in_memory
from bizdev_common.settings import ServiceSettings
from bizdev_${name}.domain import Note
from bizdev_${name}.main import parts
from bizdev_${name}.published import CONTRACT, NoteWritten

WRITER = Actor("ann", "sales", frozenset({Role.EMPLOYEE}))


def test_a_note_has_a_title() -> None:
    with pytest.raises(RuleViolation) as refused:
        Note.write(WRITER, title=" ", text="what was agreed")
    assert refused.value.field == "title"


def test_a_note_is_published_as_note_written() -> None:
    note = Note.write(WRITER, title="Kick-off", text="what was agreed")
    [written] = [CONTRACT.to_public(e) for e in note.collect_events()]
    assert isinstance(written, NoteWritten)
    assert (written.by, written.department, written.version) == ("ann", "sales", 1)


def test_writing_a_note_saves_it() -> None:
    app = in_memory(parts(ServiceSettings(service="${name}")))
    result = app.write_note(WRITER, title="Kick-off", text="what was agreed")
    note = app.repository.get(result.id)
    assert (note.department, note.title, result.version) == ("sales", "Kick-off", 1)
''',
}


def free_port(root: Path) -> int:
    """The port after the highest one taken, whose worker port (+100) is free too."""
    taken = {p for s in services(root).values() for p in (s.port, s.worker_port)}
    port = max((s.port for s in services(root).values()), default=8000) + 1
    while port in taken or port + WORKER_PORT_OFFSET in taken:
        port += 1
    return port


def new_service(root: Path, name: str, port: int | None = None) -> list[Path]:
    """Writes services/<name>/ under `root`; the files written."""
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a service's name is lower-case letters and digits")
    folder = root / "services" / name
    if folder.exists():
        raise ValueError(f"services/{name} exists already")
    fields = {"name": name, "Name": name.capitalize(), "port": port or free_port(root)}
    written = []
    for relative, text in FILES.items():
        path = folder / Template(relative).substitute(fields)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(fields))
        written.append(path)
    return written
