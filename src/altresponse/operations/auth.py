"""Users, roles, hashed passwords and bearer tokens.

Passwords are hashed with scrypt (a random salt each); tokens are random, and only their SHA-256
is stored, so a copy of the database gives no one a way in. Nothing here logs a password or token.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from altresponse.errors import InputError
from altresponse.operations.db import readers
from altresponse.operations.models import User

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_CACHE_SECONDS = 10.0
"""A token is looked up again after this long: a replaced token stops working within it."""
TOKEN_CACHE_SIZE = 10_000
MIN_PASSWORD = 10


class Role(StrEnum):
    """What a user does; each endpoint says which roles may call it."""

    CALL_TAKER = "call_taker"
    DISPATCHER = "dispatcher"
    RESPONDER = "responder"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


def hash_password(password: str) -> str:
    """A salted scrypt hash, with its parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether PASSWORD matches the STORED hash (in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    found = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(found.hex(), digest)


@functools.cache
def _decoy() -> str:
    """A hash no password matches, checked when a name is unknown."""
    return hash_password(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Users:
    """The users of one database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.reads = readers(sessions)
        self._cache: dict[str, tuple[float, User | None]] = {}

    def add(self, name: str, role: Role, password: str) -> User:
        """A new user; a name already taken or a short password is an InputError."""
        if len(password) < MIN_PASSWORD:
            raise InputError(f"password: at least {MIN_PASSWORD} characters")
        if not name.strip():
            raise InputError("name: empty")
        user = User(name=name, role=role.value, password_hash=hash_password(password))
        try:
            with self.sessions() as session, session.begin():
                session.add(user)
        except IntegrityError as exc:
            raise InputError(f"name: user {name!r} already exists") from exc
        return user

    def login(self, name: str, password: str) -> str | None:
        """A new bearer token for NAME (the old one stops working), or None if refused."""
        with self.sessions() as session, session.begin():
            user = session.scalar(select(User).where(User.name == name))
            # An unknown name costs a hash too, so timing does not tell which names exist.
            if not verify_password(password, user.password_hash if user else _decoy()):
                return None
            if user is None:
                return None
            self._cache.clear()  # the old token stops here at once (other workers: within 10 s)
            token = secrets.token_urlsafe(32)
            user.token_hash = token_hash(token)
            return token

    def by_token(self, token: str) -> User | None:
        """The user a bearer token belongs to (remembered for TOKEN_CACHE_SECONDS)."""
        key = token_hash(token)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
            return cached[1]
        with self.reads() as session:
            user = session.scalar(select(User).where(User.token_hash == key))
        if len(self._cache) > TOKEN_CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = (now, user)
        return user
