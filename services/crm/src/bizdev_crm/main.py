"""Wiring: the parts of the crm service, and its console entry point."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import settings_for
from fastapi import FastAPI

from bizdev_crm.api import router
from bizdev_crm.application import CrmApplication
from bizdev_crm.personal_data import KeyStore
from bizdev_crm.projections import PROJECTIONS
from bizdev_crm.published import CONTRACT
from bizdev_crm.reactions import DEADLINE_CHECKS, DealingsReaction
from bizdev_crm.settings import CrmSettings


def parts(settings: CrmSettings | None = None) -> ServiceParts[CrmApplication, CrmSettings]:
    return ServiceParts(
        settings=settings or settings_for(CrmSettings, "crm"),
        title="bizdev crm",
        description=(
            "Customers and their file, follow-up visits, customer events and complaints "
            "(REGULATIONS §4). Contact persons' personal data is sealed per customer and "
            "erasable."
        ),
        application=CrmApplication,
        contract=CONTRACT,
        routers=[router],
        projections=PROJECTIONS,
        reactions=[DealingsReaction],
        deadline_checks=DEADLINE_CHECKS,
    )


def app() -> FastAPI:
    """The API app, for `uvicorn --factory` (several API processes on one port)."""
    return create_app(parts())


def rotate_kek(settings: CrmSettings) -> int:
    """Re-wraps every customer key with the current KEK (BIZDEV_CRM_PERSONAL_DATA_KEK), the
    earlier ones given in _KEK_PREVIOUS; the events are not touched. Safe to run while the
    service runs and to run again. Afterwards the earlier KEKs can be dropped."""
    store = KeyStore(settings.database_url, settings.schema_name, settings.kek_ring, 1)
    try:
        rotated = store.rotate()
    finally:
        store.close()
    print(f"re-wrapped {rotated} customer keys with KEK {store.ring.current.id}")
    return 0


def run(argv: Sequence[str] | None = None) -> None:
    """`bizdev-crm api | worker | rebuild-views | dlq ...` as every service, and `bizdev-crm
    rotate-kek`, which re-wraps the customer keys and exits. Without a KEK none starts:
    personal data must never be kept under a key that is not a secret."""
    args = sys.argv[1:] if argv is None else list(argv)
    settings = settings_for(CrmSettings, "crm")
    try:
        _ = settings.kek_ring  # read now, so that a missing KEK stops here with its reason
    except (ValueError, OSError) as e:
        raise SystemExit(f"bizdev-crm: {e}") from None
    if args == ["rotate-kek"]:
        logging.basicConfig(level=logging.INFO)
        raise SystemExit(rotate_kek(settings))
    serve(parts(settings), args, more_usage=ROTATE_KEK_USAGE)


ROTATE_KEK_USAGE = "  rotate-kek      re-wrap the customer keys with the current KEK\n"
