"""Every list the projects API serves is found at start-up, so that its indexes are made."""

from __future__ import annotations

import sys

from bizdev_common.readmodel import ListQuery, list_queries
from bizdev_projects.main import parts


def test_every_list_is_found_for_its_indexes() -> None:
    routers = parts().routers  # imports every module of the API
    declared = {
        id(value)
        for name, module in list(sys.modules.items())
        if name.startswith("bizdev_projects")
        for value in vars(module).values()
        if isinstance(value, ListQuery)
    }
    assert declared
    assert {id(q) for q in list_queries(routers)} == declared
