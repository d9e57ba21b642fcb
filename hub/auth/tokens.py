"""API tokens: made once, stored as a hash, checked on every API call, revocable."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.auth.principals import PERMISSIONS, ROLE_ORDER, Principal
from hub.core.db import Database
from hub.core.runtime import runtime_of
from hub.models import ApiToken, User
from hub.sdk.tracker_errors import NotFound, ValidationFailed

TOKEN_PREFIX = "hub_"  # noqa: S105 - a public prefix, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, session: Session, name: str, role: str | None = None, user: User | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """Make a token bound to a user (acting as them) or to a role; returns the secret once."""
    if user is None and role is None:
        raise ValidationFailed({"role": ["Give a role or a user."]})
    if role is not None and role not in PERMISSIONS:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLE_ORDER)}."]})
    if user is not None:
        if role is not None and ROLE_ORDER.index(role) > ROLE_ORDER.index(user.role):
            raise ValidationFailed({"role": [f"A token cannot have more rights than its user ({user.role})."]})
        role = role or user.role
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name[:200],
        token_hash=hash_token(secret),
        prefix=secret[:12],
        user_id=user.id if user else None,
        role=role,
        created_at=runtime_of(session).now(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return secret, token


def revoke_token(*, session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token {token_id}.")
    token.revoked_at = token.revoked_at or runtime_of(session).now()
    return token


class TokenChecker:
    """Checks bearer tokens, remembering good ones briefly to keep the database off the hot path."""

    def __init__(self, db: Database, cache_seconds: float) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def check(self, secret: str) -> Principal | None:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        digest = hash_token(secret)
        now = time.monotonic()
        if self.cache_seconds > 0:
            hit = self._cache.get(digest)
            if hit is not None and now - hit[0] < self.cache_seconds:
                return hit[1]
        principal = self._load(digest)
        with self._lock:
            if principal is None:
                self._cache.pop(digest, None)
            elif self.cache_seconds > 0:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now, principal)
        return principal

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _load(self, digest: str) -> Principal | None:
        with self.db.transaction() as session:
            row = session.execute(
                select(ApiToken, User).outerjoin(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest)
            ).first()
            if row is None:
                return None
            token, user = row
            clock_now = runtime_of(session).now()
            if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= clock_now):
                return None
            if user is not None and not user.active:
                return None
            if token.last_used_at is None or clock_now - token.last_used_at >= LAST_USED_RESOLUTION:
                session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=clock_now))
            if user is not None:
                return Principal(role=token.role, name=user.username, user_id=user.id, token_id=token.id,
                                 email=user.email, timezone=user.timezone, language=user.language)
            return Principal(role=token.role, name=f"token:{token.name}", token_id=token.id)
