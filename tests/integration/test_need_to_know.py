"""Contact persons' personal data on a need-to-know basis, over HTTP against the real crm and
PostgreSQL (issue 7): in the clear only for the customer's owner, the head of its department
and management, masked with a flag for everyone else; the customer keys in the database are
wrapped by a key-encryption key (KEK) the database never holds, which rotates without
touching an event; erasure still destroys the key."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from bizdev_crm.domain import Sealed
from bizdev_crm.personal_data import CustomerKey, KeyEncryptionKey, KeyRing, KeyStore
from cryptography.exceptions import InvalidTag

from .conftest import (
    SECRETS,
    Collector,
    Infra,
    ServiceProcess,
    auth,
    unique,
)
from .crm_flows import CrmPeople, contact_body, register, view
from .flows import ok

# The session's crm reads its KEK from a file and accepts the next one already.
CRM_KEK = SECRETS["BIZDEV_CRM_PERSONAL_DATA_KEK_FILE"]
NEXT_CRM_KEK = SECRETS["BIZDEV_CRM_PERSONAL_DATA_KEK_PREVIOUS"]


def clear_values(contact: dict[str, str]) -> list[str]:
    return [contact["name"], contact["phone"], contact["email"]]


async def registered(crm_http: httpx.AsyncClient) -> tuple[CrmPeople, dict[str, Any], str]:
    people = CrmPeople()
    zhang = contact_body()
    created = await register(crm_http, people, contacts=[zhang], owner=people.owner_id)
    return people, zhang, created["id"]


async def test_the_owner_their_head_and_management_see_contacts_in_the_clear_others_masked(
    crm_http: httpx.AsyncClient,
) -> None:
    people, zhang, customer_id = await registered(crm_http)
    cleared = {
        "owner": people.owner,
        "owner's head": people.head,
        "management": people.manager,
    }
    masked = {
        "auditor": people.auditor,
        "auditor with the owner's id": auth(people.owner_id, people.department, "auditor"),
        "colleague who registered it": people.rep,
        "another department's employee": auth(unique("erin"), unique("dept"), "employee"),
        "another department's head": auth(
            unique("hank"), unique("dept"), "employee", "department_head"
        ),
    }
    for who, headers in cleared.items():
        whole = await view(crm_http, customer_id, 2, headers)
        assert whole["personal_data_masked"] is False, who
        [contact] = whole["contacts"]
        assert clear_values(contact) == clear_values(zhang), who
    tail = zhang["phone"][-4:]
    for who, headers in masked.items():
        r = await crm_http.get(f"/customers/{customer_id}", headers=headers)
        whole = await ok(r)
        assert whole["personal_data_masked"] is True, who
        [contact] = whole["contacts"]
        assert contact["name"] == "Z***", who
        assert contact["phone"] == f"+86 *** {tail}", who
        assert contact["email"] == "z***@acme.example", who
        assert (contact["position"], contact["erased"]) == ("Purchasing manager", False)
        for value in clear_values(zhang):
            assert value not in r.text, (who, value)
        # The history shows sealed values as sealed, to everyone.
        history = await crm_http.get(f"/customers/{customer_id}/history", headers=headers)
        assert history.status_code == 200
        assert history.json()[1]["data"]["name"] == "(sealed personal data)"
        for value in clear_values(zhang):
            assert value not in history.text, (who, value)


def _sealed_name(state: bytes) -> Sealed:
    """The sealed name in a stored ContactPersonAdded event, however the transcoder wraps it."""
    data = json.loads(state)["name"]
    while isinstance(data, dict):
        data = next(v for k, v in data.items() if k != "_type_")
    return Sealed(data)


async def _key_row(conn: asyncpg.Connection, customer_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        'SELECT kek_id, wrapped_key FROM "crm".customer_keys WHERE customer_id = $1',
        UUID(customer_id),
    )


def _run_rotate(infra: Infra, current: str, previous: str) -> str:
    script = Path(sys.executable).parent / "bizdev-crm"
    env = {
        **os.environ,
        "BIZDEV_CRM_DATABASE_URL": infra.database_url,
        "BIZDEV_CRM_PERSONAL_DATA_KEK": current,
        "BIZDEV_CRM_PERSONAL_DATA_KEK_PREVIOUS": previous,
    }
    done = subprocess.run(
        [str(script), "rotate-kek"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_database_alone_opens_nothing_and_the_kek_rotates_without_touching_events(
    crm_http: httpx.AsyncClient,
    crm: ServiceProcess,
    infra: Infra,
    logs: Path,
    collector: Collector,
) -> None:
    people, zhang, customer_id = await registered(crm_http)
    await view(crm_http, customer_id, 2, people.owner)
    conn = await asyncpg.connect(infra.database_url)
    try:
        row = await _key_row(conn, customer_id)
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'crm' AND table_name = 'customer_keys'"
            )
        }
        events_before = await conn.fetch(
            'SELECT originator_version, state FROM "crm".crm_events '
            "WHERE originator_id = $1 ORDER BY originator_version",
            UUID(customer_id),
        )
    finally:
        await conn.close()
    assert columns == {"customer_id", "kek_id", "wrapped_key", "created_at"}
    old_kek, new_kek = KeyEncryptionKey(CRM_KEK), KeyEncryptionKey(NEXT_CRM_KEK)
    assert row["kek_id"] == old_kek.id
    sealed = _sealed_name(events_before[1]["state"])

    # What a database dump holds does not open the sealed data: not the wrapped key taken
    # as a key, not the wrapped key unwrapped with a KEK that is not the service's.
    wrapped = bytes(row["wrapped_key"])
    for guess in (wrapped[:32], wrapped[-32:]):
        with pytest.raises(InvalidTag):
            CustomerKey(guess).open(sealed)
    with pytest.raises(InvalidTag):
        new_kek.unwrap(UUID(customer_id), wrapped)
    # With the service's KEK it does: the row is the customer's key, wrapped.
    key = old_kek.unwrap(UUID(customer_id), wrapped)
    assert key.key != wrapped
    assert key.key not in wrapped
    assert base64.b64encode(key.key) not in wrapped
    assert key.open(sealed) == zhang["name"]

    # Rotation: the crm under test already accepts the next KEK (the first step of a
    # rotation); rotate-kek re-wraps every key with it; the events stay byte for byte.
    out = _run_rotate(infra, NEXT_CRM_KEK, CRM_KEK)
    assert f"with KEK {new_kek.id}" in out
    assert "re-wrapped 0 " not in out
    again = _run_rotate(infra, NEXT_CRM_KEK, CRM_KEK)
    assert "re-wrapped 0 customer keys" in again
    conn = await asyncpg.connect(infra.database_url)
    try:
        rotated = await _key_row(conn, customer_id)
        events_after = await conn.fetch(
            'SELECT originator_version, state FROM "crm".crm_events '
            "WHERE originator_id = $1 ORDER BY originator_version",
            UUID(customer_id),
        )
    finally:
        await conn.close()
    assert rotated["kek_id"] == new_kek.id
    assert bytes(rotated["wrapped_key"]) != wrapped
    assert [(e[0], bytes(e[1])) for e in events_after] == [
        (e[0], bytes(e[1])) for e in events_before
    ]
    assert new_kek.unwrap(UUID(customer_id), bytes(rotated["wrapped_key"])).key == key.key

    [contact] = (await view(crm_http, customer_id, 2, people.owner))["contacts"]
    assert clear_values(contact) == clear_values(zhang)

    # A crm given only the new KEK opens the contacts as well; the old one is not needed.
    only_new = ServiceProcess(
        "crm",
        infra,
        logs,
        collector.endpoint,
        personal_data_kek=NEXT_CRM_KEK,
        personal_data_kek_previous="",
        roles=("api",),
    )
    only_new.env.pop("BIZDEV_CRM_PERSONAL_DATA_KEK_FILE")
    only_new.start()
    try:
        async with httpx.AsyncClient(base_url=only_new.url, timeout=30) as client:
            [contact] = (await view(client, customer_id, 2, people.head))["contacts"]
            assert clear_values(contact) == clear_values(zhang)
    finally:
        only_new.stop()

    # Erasure still destroys the key, whatever KEK wrapped it.
    erased = await ok(
        await crm_http.post(
            f"/customers/{customer_id}/erase-personal-data",
            json={"reason": "Requested by the customer"},
            headers=people.manager,
        )
    )
    conn = await asyncpg.connect(infra.database_url)
    try:
        assert await _key_row(conn, customer_id) is None
    finally:
        await conn.close()
    for headers in (people.owner, people.auditor):
        [contact] = (await view(crm_http, customer_id, erased["version"], headers))["contacts"]
        assert (contact["name"], contact["phone"], contact["email"], contact["erased"]) == (
            None,
            None,
            None,
            True,
        )


async def test_crm_refuses_to_start_without_a_kek(
    infra: Infra, logs: Path, collector: Collector
) -> None:
    keyless = ServiceProcess("crm", infra, logs, collector.endpoint)
    for name in ("KEK", "KEK_FILE", "KEK_PREVIOUS", "KEK_PREVIOUS_FILE"):
        keyless.env.pop(f"BIZDEV_CRM_PERSONAL_DATA_{name}", None)
    for role in keyless.roles.values():
        role.launch()
    for role in keyless.roles.values():  # neither the API nor the worker
        assert role.proc is not None
        assert role.proc.wait(timeout=30) != 0
        assert "BIZDEV_CRM_PERSONAL_DATA_KEK" in role.log_path.read_text()


async def test_keys_stored_in_the_clear_by_an_earlier_version_are_wrapped_at_start(
    infra: Infra,
) -> None:
    schema = unique("crm_legacy").replace("-", "_")
    customer_id, key = uuid4(), CustomerKey.new()
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            f'CREATE TABLE "{schema}".customer_keys (customer_id uuid PRIMARY KEY, '
            "key bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            f'INSERT INTO "{schema}".customer_keys (customer_id, key) VALUES ($1, $2)',
            customer_id,
            key.key,
        )
        ring = KeyRing(CRM_KEK)
        store = await asyncio.to_thread(KeyStore, infra.database_url, schema, ring, 1)
        try:
            opened = await asyncio.to_thread(store.key_of, customer_id)
        finally:
            await asyncio.to_thread(store.close)
        assert opened is not None
        assert opened.key == key.key
        row = await conn.fetchrow(f'SELECT * FROM "{schema}".customer_keys')
        assert set(row.keys()) == {"customer_id", "kek_id", "wrapped_key", "created_at"}
        assert row["kek_id"] == ring.current.id
        assert key.key not in bytes(row["wrapped_key"])
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
