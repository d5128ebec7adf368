"""Wiring: the parts of the records service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import settings_for
from fastapi import FastAPI

from bizdev_records.api import router
from bizdev_records.application import RecordsApplication
from bizdev_records.projections import PROJECTIONS
from bizdev_records.published import CONTRACT
from bizdev_records.reactions import (
    CustomerFilesReaction,
    LoanDueCheck,
    ProjectFilesReaction,
    RetentionCheck,
)
from bizdev_records.settings import RecordsSettings


def parts(
    settings: RecordsSettings | None = None,
) -> ServiceParts[RecordsApplication, RecordsSettings]:
    return ServiceParts(
        settings=settings or settings_for(RecordsSettings, "records"),
        title="bizdev records",
        description=(
            "The business archive (REGULATIONS §9): customer, project, contract and marketing "
            "files opened by the other services' events, their documents filed as they "
            "happen and teams' own items (9.1, 9.2); the archivist's review, classification, "
            "gap-free numbering and binding; electronic documents uploaded and downloaded; "
            "borrowing (9.3); retention, legal hold and destruction (9.4)."
        ),
        application=RecordsApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[ProjectFilesReaction, CustomerFilesReaction],
        deadline_checks=[LoanDueCheck(), RetentionCheck()],
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def run() -> None:
    """`bizdev-records api | worker | rebuild-views | dlq ...`"""
    serve(parts())
