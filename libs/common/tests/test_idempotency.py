"""Idempotency-Key: what counts as the same request, and which keys are accepted."""

from __future__ import annotations

from bizdev_common import errors, idempotency, middleware
from bizdev_common.idempotency import fingerprint, valid_key
from bizdev_common.settings import ServiceSettings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry


def test_the_same_request_has_the_same_fingerprint_and_any_difference_changes_it() -> None:
    base = fingerprint("POST", "/leads", b"", b'{"customer":"ACME"}')
    assert base == fingerprint("POST", "/leads", b"", b'{"customer":"ACME"}')
    assert base != fingerprint("PUT", "/leads", b"", b'{"customer":"ACME"}')
    assert base != fingerprint("POST", "/leads/x", b"", b'{"customer":"ACME"}')
    assert base != fingerprint("POST", "/leads", b"a=1", b'{"customer":"ACME"}')
    assert base != fingerprint("POST", "/leads", b"", b'{"customer":"ACME Ltd"}')
    # Parts are length-prefixed: moving bytes from one part to the next is another request.
    assert fingerprint("POST", "/a", b"b", b"") != fingerprint("POST", "/a", b"", b"b")


def test_keys_are_short_safe_tokens() -> None:
    assert valid_key("0b5b7a3e-8f0c-4b8e-9d7e-2f1a7c1d2e3f")
    assert valid_key("order:42.retry_1~x")
    assert not valid_key("")
    assert not valid_key("x" * 129)
    assert not valid_key("with space")
    assert not valid_key("line\nbreak")
    assert not valid_key("ключ")


def test_routing_comes_before_the_key() -> None:
    """A method the path does not take is a 405 whatever the key; the key is checked (here:
    refused as malformed) only on a route that takes the command."""
    app = FastAPI()
    errors.install(app)
    idempotency.install(app)
    middleware.install(app, ServiceSettings(service="edge"), CollectorRegistry())
    app.add_api_route("/leads", lambda: {}, methods=["POST"])
    http = TestClient(app)
    headers = {"Idempotency-Key": "not a valid key"}
    assert http.put("/leads", headers=headers).status_code == 405
    assert http.post("/nowhere", headers=headers).status_code == 404
    assert http.post("/leads", headers=headers).status_code == 422
