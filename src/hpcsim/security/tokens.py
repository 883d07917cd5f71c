"""API tokens: JWTs signed by the service, of which only a digest is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from hpcsim.errors import Unauthorized

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    digest: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str


def issue_token(secret: str, user_id: int, lifetime: timedelta) -> IssuedToken:
    """Sign a new token for a user; the caller stores its digest."""
    now = datetime.now(UTC).replace(microsecond=0)
    jti = uuid.uuid4().hex
    claims = {
        "sub": str(user_id),
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return IssuedToken(token, jti, token_digest(secret, token), now, now + lifetime)


def decode_token(secret: str, token: str) -> TokenClaims:
    """Check a token's signature, algorithm and times; return its claims."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "jti", "iat", "exp"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized("the API token is not valid") from error

    subject, jti = claims.get("sub"), claims.get("jti")
    valid_subject = isinstance(subject, str) and re.fullmatch(r"[0-9]{1,18}", subject)
    if not valid_subject or not isinstance(jti, str):
        raise Unauthorized("the API token is not valid")
    return TokenClaims(user_id=int(str(subject)), jti=jti)


def token_digest(secret: str, token: str) -> str:
    """Return the keyed digest under which a token is stored."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def digests_match(stored: str, presented: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(stored.encode(), presented.encode())


def new_sec_token() -> str:
    """Return a fresh SecToken, the handle by which clients pick an SSH key."""
    return "hst_" + secrets.token_urlsafe(32)


def sec_token_digest(sec_token: str) -> str:
    """Return the digest under which a SecToken is stored and looked up."""
    return hashlib.sha256(sec_token.encode()).hexdigest()
