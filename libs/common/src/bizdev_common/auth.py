"""Bearer tokens (PyJWT): HS256 with a dev secret locally, RS256 against a JWKS URL in
production. Claims: `sub` (user id), `department`, `roles` (REGULATIONS' role table).

A token is refused (401) unless its claims are a `Claims`: `sub` and `department` the
boundary's `Name` (no control character, not blank, at most 200 characters, as any user id
a client may send) and `roles` a non-empty list of known role names: a token with no usable
role must not fall back to anything, least of all to reading everything. The claims become
the actor stored in events as `by`, so they cross the same boundary as any other input.
A token longer than MAX_TOKEN_BYTES is refused before it is decoded, so nobody makes the
service parse and verify megabytes per request.

Routes only identify the actor; what the actor may do is decided by the domain model."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bizdev_common.boundary import Name
from bizdev_common.domain import Actor, Role
from bizdev_common.settings import ServiceSettings

DEV_SECRET = ServiceSettings.model_fields["jwt_secret"].default.get_secret_value()

# Real tokens are well under 2 KiB; 8 KiB leaves room for long role lists and RS256 headers.
MAX_TOKEN_BYTES = 8 * 1024


class Unauthenticated(Exception):
    """No token, or one that does not verify (401)."""


VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 3600
"""A verdict is kept until the token expires or for this long, whichever comes first: an
`exp` years away (or 10**400) keeps no verdict for ever."""


LATEST_EXP = 253_402_300_799
"""9999-12-31T23:59:59Z, the last instant a timestamp of the boundary can name: an `exp` past it
(10**400 came once) is no time at all, so the token is malformed rather than everlasting."""


class Claims(BaseModel):
    """The claims an actor is made of. Whether `exp` has passed, and the signature, are PyJWT's
    to check; that `exp` names an instant at all is the boundary's."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: Name
    department: Name
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    exp: float = Field(le=LATEST_EXP, allow_inf_nan=False)  # NumericDate: seconds, maybe fractional


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        # A client sends the same token with every request until it expires: its verdict is
        # kept until then (bounded, oldest dropped first), so the signature and the claims are
        # checked once per token rather than once per request.
        self._verified: OrderedDict[str, tuple[Actor, float]] = OrderedDict()

    @cached_property
    def _jwks(self) -> jwt.PyJWKClient | None:
        url = self.settings.jwt_jwks_url
        return jwt.PyJWKClient(url, cache_keys=True) if url else None

    def verify(self, token: str) -> Actor:
        known = self._verified.get(token)
        if known is not None:
            actor, expires = known
            if time.time() < expires:
                return actor
            self._verified.pop(token, None)
        actor, expires = self._verify(token)
        self._verified[token] = (actor, expires)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            with contextlib.suppress(KeyError):  # JWKS verifications run in threads
                self._verified.popitem(last=False)
        return actor

    def _verify(self, token: str) -> tuple[Actor, float]:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated(f"invalid token: longer than {MAX_TOKEN_BYTES} bytes")
        s = self.settings
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            else:
                key = s.jwt_secret.get_secret_value()
            claims = jwt.decode(
                token,
                key,
                algorithms=[s.jwt_algorithm],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                options={"require": ["sub", "exp"], "verify_aud": s.jwt_audience is not None},
            )
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"invalid token: {e}") from e
        except (OverflowError, ValueError, TypeError) as e:
            # PyJWT turns `exp`, `iat` or `nbf` into an int and lets these through for values
            # such as Infinity, which Python's JSON reader accepts.
            raise Unauthenticated("invalid token: a time claim is not a number of seconds") from e
        try:
            parsed = Claims.model_validate(claims)
        except ValidationError as e:
            raise Unauthenticated(f"invalid token: {_first_problem(e)}") from None
        actor = Actor(
            user_id=parsed.sub, department=parsed.department, roles=frozenset(parsed.roles)
        )
        return actor, min(parsed.exp, time.time() + VERIFIED_CACHE_SECONDS)


def _first_problem(error: ValidationError) -> str:
    """The claim at fault and why, echoing none of the caller's text."""
    problem = error.errors(include_url=False, include_input=False)[0]
    claim = problem["loc"][0] if problem["loc"] else "claims"
    if claim == "roles":
        known = ", ".join(r.value for r in Role)
        return f"the roles claim must be a non-empty list of roles ({known})"
    return f"the {claim} claim {problem['msg']}"


class BearerActor(HTTPBearer):
    """The actor a request's bearer token names, as a route's dependency. FastAPI documents it
    as the HTTPBearer scheme it is; it solves it as one dependency, where the credentials and
    then the actor made two levels of dependency solving and a pydantic model per request."""

    async def __call__(self, request: Request) -> Actor:  # type: ignore[override]
        authorization = request.headers.get("Authorization")
        scheme, token = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and token) or scheme.lower() != "bearer":
            raise Unauthenticated("a bearer token is required")
        verifier: TokenVerifier = request.app.state.verifier
        # Async, so that FastAPI does not hand every request to a worker thread and back just
        # to check a signature; only a JWKS look-up, which may wait on the network, leaves the
        # loop.
        if verifier.settings.jwt_jwks_url:
            return await run_in_threadpool(verifier.verify, token)
        return verifier.verify(token)


current_actor = BearerActor(
    auto_error=False, description="JWT from `make token`", scheme_name="HTTPBearer"
)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def issue_token(
    user_id: str,
    department: str,
    roles: Sequence[Role | str],
    *,
    secret: str = DEV_SECRET,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A dev token signed with the HS256 secret; production tokens come from the IdP."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "department": department,
        "roles": [Role(r).value for r in roles],
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def token_cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a dev bearer token")
    parser.add_argument(
        "--role",
        action="append",
        required=True,
        help=f"one or more, comma-separated or repeated: {', '.join(r.value for r in Role)}",
    )
    parser.add_argument("--dept", required=True, help="the user's department, e.g. sales")
    parser.add_argument("--user", default=None, help="user id (default: <role>-<dept>)")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    roles = [r.strip() for part in args.role for r in part.split(",") if r.strip()]
    unknown = [r for r in roles if r not in {x.value for x in Role}]
    if unknown:
        parser.error(f"unknown role {', '.join(unknown)}")
    user = args.user or f"{roles[0]}-{args.dept}"
    secret = os.environ.get("BIZDEV_JWT_SECRET", DEV_SECRET)
    print(issue_token(user, args.dept, roles, secret=secret, ttl_seconds=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(token_cli())
