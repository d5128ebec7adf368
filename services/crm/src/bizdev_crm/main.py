"""Wiring: the parts of the crm service, and its console entry point."""

from __future__ import annotations

from bizdev_common.service import ServiceParts, create_app, serve
from bizdev_common.settings import ServiceSettings, settings_for
from fastapi import FastAPI

from bizdev_crm.api import router
from bizdev_crm.application import CrmApplication
from bizdev_crm.contract import CONTRACT
from bizdev_crm.projections import CrmViews
from bizdev_crm.reactions import ComplaintResponseDeadline, DealingsReaction
from bizdev_crm.settings import CrmSettings


def parts(settings: CrmSettings | None = None) -> ServiceParts:
    crm_settings = settings or settings_for(CrmSettings, "crm")

    # ServiceParts hands the application the settings it was given, typed as the common
    # base; crm's application needs its own settings, which are those same settings.
    def application(_: ServiceSettings) -> CrmApplication:
        return CrmApplication(crm_settings)

    return ServiceParts(
        settings=crm_settings,
        title="bizdev crm",
        description=(
            "Customers and their file, follow-up visits, customer events and complaints "
            "(REGULATIONS §4). Contact persons' personal data is sealed per customer and "
            "erasable."
        ),
        application=application,
        contract=CONTRACT,
        routers=[router],
        projections=[CrmViews],
        reactions=[DealingsReaction],
        deadline_checks=[ComplaintResponseDeadline()],
    )


def app() -> FastAPI:
    return create_app(parts())


def run() -> None:
    serve(parts())
