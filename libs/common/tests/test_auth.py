"""Bearer tokens: HS256 with the dev secret, RS256 against a JWKS URL, and every refusal."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from bizdev_common.auth import (
    LATEST_EXP,
    MAX_TOKEN_BYTES,
    TokenVerifier,
    Unauthenticated,
    issue_token,
    token_cli,
)
from bizdev_common.domain import Role
from bizdev_common.settings import ServiceSettings
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm


def settings(**kw: object) -> ServiceSettings:
    return ServiceSettings(service="test", **kw)  # type: ignore[arg-type]


def test_dev_token_round_trips_to_an_actor() -> None:
    token = issue_token("bob", "sales", [Role.EMPLOYEE, "department_head"])
    actor = TokenVerifier(settings()).verify(token)
    assert actor.user_id == "bob"
    assert actor.department == "sales"
    assert actor.roles == {Role.EMPLOYEE, Role.DEPARTMENT_HEAD}
    assert actor.is_head_of("sales")
    assert not actor.is_head_of("market")


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"sub": "u", "department": "d", "roles": ["employee"], "exp": 1}, "expired"),
        ({"sub": "u", "roles": ["employee"], "exp": 2**33}, "department"),
        ({"sub": "u", "department": "d", "roles": ["emperor"], "exp": 2**33}, "role"),
        ({"department": "d", "roles": [], "exp": 2**33}, "sub"),
    ],
)
def test_bad_claims_are_refused(claims: dict[str, object], why: str) -> None:
    token = jwt.encode(claims, settings().jwt_secret.get_secret_value(), algorithm="HS256")
    with pytest.raises(Unauthenticated, match=why):
        TokenVerifier(settings()).verify(token)


def _signed(**claims: object) -> str:
    base: dict[str, object] = {"sub": "u", "department": "d", "exp": 2**33}
    base.update(claims)
    return jwt.encode(
        {k: v for k, v in base.items() if v is not ...},
        settings().jwt_secret.get_secret_value(),
        algorithm="HS256",
    )


@pytest.mark.parametrize(
    "roles",
    [None, 7, True, False, "management", {"management": True}, [], [None], [["management"]], ...],
    ids=[
        "null",
        "number",
        "true",
        "false",
        "string",
        "object",
        "empty",
        "[null]",
        "nested",
        "missing",
    ],
)
def test_roles_must_be_a_non_empty_list_of_known_roles(roles: object) -> None:
    """Each of these once read as no role (and so could read everything) or as a 500."""
    with pytest.raises(Unauthenticated, match="role"):
        TokenVerifier(settings()).verify(_signed(roles=roles))


@pytest.mark.parametrize(
    ("claim", "value"),
    [("sub", ""), ("sub", "  "), ("department", ""), ("department", 5), ("department", None)],
)
def test_sub_and_department_must_be_non_empty_text(claim: str, value: object) -> None:
    with pytest.raises(Unauthenticated, match=claim):
        TokenVerifier(settings()).verify(_signed(roles=["employee"], **{claim: value}))


def test_an_oversized_token_is_refused_before_it_is_decoded() -> None:
    big = _signed(roles=["employee"], padding="x" * 100_000)
    with pytest.raises(Unauthenticated, match="longer than"):
        TokenVerifier(settings()).verify(big)
    # One just under the cap still verifies: the cap is about size, not content.
    fits = _signed(roles=["employee"], padding="x" * (MAX_TOKEN_BYTES // 2))
    assert TokenVerifier(settings()).verify(fits).user_id == "u"


def test_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token("u", "d", ["employee"], secret="another-secret-of-at-least-32-bytes!!")
    with pytest.raises(Unauthenticated, match="Signature"):
        TokenVerifier(settings()).verify(token)


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


def test_rs256_tokens_verify_against_the_jwks_url(
    jwks_server: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = jwks_server
    verifier = TokenVerifier(
        settings(
            jwt_algorithm="RS256",
            jwt_jwks_url=url,
            jwt_audience="bizdev",
            jwt_issuer="https://idp.example",
        )
    )
    claims = {
        "sub": "carol",
        "department": "board",
        "roles": ["management"],
        "aud": "bizdev",
        "iss": "https://idp.example",
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).roles == {Role.MANAGEMENT}

    wrong_audience = jwt.encode(
        {**claims, "aud": "other"}, key, algorithm="RS256", headers={"kid": "k1"}
    )
    with pytest.raises(Unauthenticated, match=r"(?i)audience"):
        verifier.verify(wrong_audience)
    # A dev HS256 token means nothing to a production verifier.
    with pytest.raises(Unauthenticated):
        verifier.verify(issue_token("carol", "board", ["management"]))


def test_token_cli_takes_several_roles(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        token_cli(["--role", "employee,department_head", "--dept", "sales", "--user", "bob"]) == 0
    )
    actor = TokenVerifier(settings()).verify(capsys.readouterr().out.strip())
    assert actor.roles == {Role.EMPLOYEE, Role.DEPARTMENT_HEAD}
    with pytest.raises(SystemExit):
        token_cli(["--role", "emperor", "--dept", "sales"])


def test_a_token_is_checked_once_and_its_verdict_kept_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded = []
    real_decode = jwt.decode

    def counting_decode(*args: object, **kwargs: object) -> object:
        decoded.append(args[0])
        return real_decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    verifier = TokenVerifier(settings())
    token = issue_token("bob", "sales", ["employee"], ttl_seconds=1)
    assert verifier.verify(token) == verifier.verify(token)
    assert len(decoded) == 1
    time.sleep(1.1)  # past its expiry: checked again, and refused
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)
    assert len(decoded) == 2


def _raw_token(payload: str) -> str:
    """A token whose payload is this JSON text as written, signed with the dev secret: JSON
    that `jwt.encode` would never write (Infinity, lone surrogates) is still what a caller
    may send."""
    import base64
    import hashlib
    import hmac

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{b64(payload.encode())}"
    key = settings().jwt_secret.get_secret_value().encode()
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize(
    "exp", ["1" + "0" * 400, "Infinity", "1e400", "NaN", '"tomorrow"', "[1]", "-Infinity"]
)
def test_an_exp_that_is_no_usable_number_is_refused_not_a_crash(exp: str) -> None:
    """`exp` 10**400 once overflowed float() in every service's every route (500)."""
    token = _raw_token(f'{{"sub":"x","department":"sales","roles":["employee"],"exp":{exp}}}')
    with pytest.raises(Unauthenticated, match="exp"):
        TokenVerifier(settings()).verify(token)


def test_an_exp_on_the_last_representable_second_is_good_past_it_malformed() -> None:
    last = _raw_token(f'{{"sub":"x","department":"d","roles":["hr"],"exp":{LATEST_EXP}}}')
    assert TokenVerifier(settings()).verify(last).user_id == "x"
    past = _raw_token(f'{{"sub":"x","department":"d","roles":["hr"],"exp":{LATEST_EXP + 1}}}')
    with pytest.raises(Unauthenticated, match="exp"):
        TokenVerifier(settings()).verify(past)
    fractional = _raw_token(
        '{"sub":"x","department":"d","roles":["hr"],"exp":%s}' % (time.time() + 60.5)
    )
    assert TokenVerifier(settings()).verify(fractional).user_id == "x"


@pytest.mark.parametrize("claim", ["sub", "department"])
@pytest.mark.parametrize(
    "value", ['"a\\u0000b"', '"a\\ud800b"', '"\\u001b[31m"', '"' + "x" * 201 + '"', '"\\t"']
)
def test_sub_and_department_cross_the_boundary_text_type(claim: str, value: str) -> None:
    """A NUL or a lone surrogate in a claim once reached PostgreSQL (500) and would have been
    stored in events as the actor."""
    claims = {"sub": '"x"', "department": '"sales"', "roles": '["employee"]', "exp": "9999999999"}
    claims[claim] = value
    token = _raw_token("{" + ",".join(f'"{k}":{v}' for k, v in claims.items()) + "}")
    with pytest.raises(Unauthenticated, match=claim):
        TokenVerifier(settings()).verify(token)


def test_a_verdict_is_not_kept_past_its_token_or_the_cache_bound() -> None:
    verifier = TokenVerifier(settings())
    token = _raw_token(f'{{"sub":"x","department":"d","roles":["hr"],"exp":{LATEST_EXP}}}')
    verifier.verify(token)
    _, kept_until = verifier._verified[token]
    assert kept_until <= time.time() + 3600 + 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@fuzzing(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    claims=st.fixed_dictionaries(
        {},
        optional={
            "sub": _json | st.text(),
            "department": _json | st.text(),
            "roles": _json | st.lists(st.sampled_from([r.value for r in Role]) | st.text()),
            "exp": _json | st.integers(min_value=2**33),
            "nbf": _json,
            "iat": _json,
        },
    )
)
def test_any_claims_give_an_actor_or_a_401(claims: dict[str, object]) -> None:
    """The fuzz of token claims: whatever a signed token says, the verdict is an actor whose
    every field is boundary text, or Unauthenticated; never another exception."""
    token = _raw_token(json.dumps(claims))
    try:
        actor = TokenVerifier(settings()).verify(token)
    except Unauthenticated:
        return
    for text in (actor.user_id, actor.department):
        assert text.strip()
        assert len(text) <= 200
        assert not any(ord(c) < 32 and c not in "\t\r\n" for c in text)
        text.encode("utf-8")
