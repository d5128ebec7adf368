"""An API refuses to start where the published dev secret would let anyone sign a token."""

from __future__ import annotations

import pytest
from bizdev_common.service import unsafe_to_serve
from bizdev_common.settings import ServiceSettings
from pydantic import SecretStr

REAL_SECRET = SecretStr("a-secret-of-this-deployment-only-0123456789")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "api.internal"])  # noqa: S104
def test_the_dev_secret_beyond_loopback_is_refused(host: str) -> None:
    refusal = unsafe_to_serve(ServiceSettings(service="crm", http_host=host))
    assert refusal is not None
    assert "BIZDEV_CRM_JWT_SECRET" in refusal
    assert host in refusal


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_dev_secret_on_loopback_is_for_development(host: str) -> None:
    assert unsafe_to_serve(ServiceSettings(service="crm", http_host=host)) is None
    production = ServiceSettings(service="crm", http_host=host, environment="production")
    assert "production" in (unsafe_to_serve(production) or "")


def test_a_secret_of_its_own_or_a_key_set_may_listen_anywhere() -> None:
    everywhere = "0.0.0.0"  # noqa: S104
    own = ServiceSettings(service="crm", http_host=everywhere, jwt_secret=REAL_SECRET)
    assert unsafe_to_serve(own) is None
    jwks = ServiceSettings(
        service="crm",
        http_host=everywhere,
        environment="production",
        jwt_jwks_url="https://idp.example/jwks.json",
    )
    assert unsafe_to_serve(jwks) is None
