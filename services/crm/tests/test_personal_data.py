"""Personal data on a need-to-know basis: who sees contact persons in the clear, what the
others see, and the key-encryption key that keeps the customer keys useless without it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Role
from bizdev_crm.domain import ContactDetails, Customer
from bizdev_crm.personal_data import (
    CustomerKey,
    KekUnavailable,
    KeyEncryptionKey,
    KeyRing,
    mask_email,
    mask_name,
    mask_phone,
    open_contacts,
)
from bizdev_crm.settings import CrmSettings
from cryptography.exceptions import InvalidTag

KEK = "kek-for-unit-tests-only-0123456789abcdef"
OTHER_KEK = "another-kek-for-unit-tests-0123456789abcdef"


def person(user_id: str, department: str, *roles: Role) -> Actor:
    return Actor(user_id, department, frozenset(roles))


OWNER = person("olga", "sales", Role.EMPLOYEE)


def registered() -> tuple[Customer, CustomerKey]:
    key = CustomerKey.new()
    customer = Customer.register(
        person("rita", "sales", Role.EMPLOYEE),
        name="ACME Logistics",
        industry="Logistics",
        channel="trade_show",
        needs="Stock tracking",
        owner=OWNER.user_id,
        seal=key.seal,
        visit_cycle={"prospect": 30, "active": 30, "dormant": 90, "lost": None},
        today=date(2026, 11, 27),
        contacts=[
            ContactDetails(
                "Purchasing manager", "Zhang Wei", "+86 138 1234 5678", "zhang.wei@acme.example"
            ),
            ContactDetails("CFO", "Li Na"),
        ],
    )
    return customer, key


# --- who needs to know -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reader",
    [
        OWNER,
        person("olga", "sales", Role.TEAM_LEAD),
        person("bob", "sales", Role.EMPLOYEE, Role.DEPARTMENT_HEAD),
        person("carol", "board", Role.EMPLOYEE, Role.MANAGEMENT),
    ],
    ids=["owner", "owner-as-team-lead", "owners-head", "management"],
)
def test_the_owner_their_head_and_management_see_contacts_in_the_clear(reader: Actor) -> None:
    customer, key = registered()
    assert customer.shows_personal_data_to(reader)
    shown = open_contacts(key, customer.contacts, in_clear=True)
    assert {(c.name, c.phone, c.email) for c in shown} == {
        ("Zhang Wei", "+86 138 1234 5678", "zhang.wei@acme.example"),
        ("Li Na", None, None),
    }


@pytest.mark.parametrize(
    "reader",
    [
        person("audrey", "audit", Role.AUDITOR),
        person("olga", "sales", Role.AUDITOR),
        person("rita", "sales", Role.EMPLOYEE),
        person("erin", "marketing", Role.EMPLOYEE),
        person("hank", "marketing", Role.EMPLOYEE, Role.DEPARTMENT_HEAD),
        person("bob", "sales", Role.EMPLOYEE, Role.TEAM_LEAD, Role.FINANCE),
    ],
    ids=[
        "auditor",
        "owners-id-as-auditor",
        "colleague-who-registered-it",
        "other-department",
        "head-of-another-department",
        "colleague-not-head",
    ],
)
def test_everyone_else_sees_contacts_masked(reader: Actor) -> None:
    customer, key = registered()
    assert not customer.shows_personal_data_to(reader)
    shown = {c.position: c for c in open_contacts(key, customer.contacts, in_clear=False)}
    zhang, li = shown["Purchasing manager"], shown["CFO"]
    assert (zhang.name, zhang.phone, zhang.email) == ("Z***", "+86 *** 5678", "z***@acme.example")
    assert (li.name, li.phone, li.email) == ("L***", None, None)
    assert not zhang.erased


def test_erased_contacts_read_as_null_for_everyone() -> None:
    customer, _ = registered()
    for in_clear in (True, False):
        for c in open_contacts(None, customer.contacts, in_clear=in_clear):
            assert (c.name, c.phone, c.email, c.erased) == (None, None, None, True)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+86 138 1234 5678", "+86 *** 5678"),
        ("+1 (555) 010-4477", "+1 *** 4477"),
        ("(010) 8888-1234", "*** 1234"),
        ("12345678", "***"),  # too short to show any digit without showing most of it
    ],
)
def test_phone_mask_keeps_the_country_code_and_the_last_four_digits(
    phone: str, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_name_and_email_masks() -> None:
    assert mask_name("Zhang Wei") == "Z***"
    assert mask_name("张伟") == "张***"
    assert mask_email("zhang.wei@acme.example") == "z***@acme.example"


# --- the key-encryption key --------------------------------------------------------------------


def test_a_wrapped_key_opens_only_with_its_kek_and_for_its_customer() -> None:
    kek, key, customer_id = KeyEncryptionKey(KEK), CustomerKey.new(), uuid4()
    wrapped = kek.wrap(customer_id, key)
    assert key.key not in wrapped
    assert kek.unwrap(customer_id, wrapped).key == key.key
    with pytest.raises(InvalidTag):
        KeyEncryptionKey(OTHER_KEK).unwrap(customer_id, wrapped)
    with pytest.raises(InvalidTag):  # moved to another customer's row
        kek.unwrap(uuid4(), wrapped)


def test_kek_id_names_the_kek_stably_without_revealing_it() -> None:
    assert KeyEncryptionKey(KEK).id == KeyEncryptionKey(f"  {KEK}\n").id
    assert KeyEncryptionKey(KEK).id != KeyEncryptionKey(OTHER_KEK).id
    assert KEK not in repr(KeyEncryptionKey(KEK))


def test_a_short_kek_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        KeyEncryptionKey("secret")


def test_the_ring_unwraps_with_previous_keks_and_names_a_missing_one() -> None:
    customer_id, key = uuid4(), CustomerKey.new()
    old = KeyEncryptionKey(OTHER_KEK)
    wrapped = old.wrap(customer_id, key)
    ring = KeyRing(KEK, [OTHER_KEK])
    assert ring.current.id == KeyEncryptionKey(KEK).id
    assert ring.kek(old.id).unwrap(customer_id, wrapped).key == key.key
    with pytest.raises(KekUnavailable, match=old.id):
        KeyRing(KEK).kek(old.id)


def test_a_dev_kek_is_flagged(caplog: pytest.LogCaptureFixture) -> None:
    KeyRing("dev-only-CHANGE-ME-personal-data-kek-0123456789")
    assert "published dev value" in caplog.text


# --- where the KEK comes from -------------------------------------------------------------------


def test_without_a_kek_crm_has_no_key_ring() -> None:
    with pytest.raises(ValueError, match="BIZDEV_CRM_PERSONAL_DATA_KEK"):
        _ = CrmSettings(service="crm").kek_ring


def test_the_kek_comes_from_the_environment_or_a_mounted_file(tmp_path: Path) -> None:
    from_env = CrmSettings(
        service="crm", personal_data_kek=KEK, personal_data_kek_previous=f"{OTHER_KEK}, "
    ).kek_ring
    (tmp_path / "kek").write_text(f"{KEK}\n")
    (tmp_path / "previous").write_text(f"\n{OTHER_KEK}\n")
    from_files = CrmSettings(
        service="crm",
        personal_data_kek_file=tmp_path / "kek",
        personal_data_kek_previous_file=tmp_path / "previous",
    ).kek_ring
    for ring in (from_env, from_files):
        assert ring.current.id == KeyEncryptionKey(KEK).id
        assert set(ring.by_id) == {KeyEncryptionKey(KEK).id, KeyEncryptionKey(OTHER_KEK).id}


def test_two_current_keks_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "kek").write_text(OTHER_KEK)
    with pytest.raises(ValueError, match="one key-encryption key"):
        _ = CrmSettings(
            service="crm", personal_data_kek=KEK, personal_data_kek_file=tmp_path / "kek"
        ).kek_ring
