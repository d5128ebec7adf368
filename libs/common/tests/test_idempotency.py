"""Idempotency-Key: what counts as the same request, and which keys are accepted."""

from __future__ import annotations

from bizdev_common.idempotency import fingerprint, valid_key


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
