"""API keys with scopes, stored hashed, shown in clear exactly once (when created).

A key reads ``qgtm_<key id>.<secret>``. The key id is public (it is the actor in audit records and
the label in rate limits); the secret is 256 random bits, so a salted SHA-256 is enough to store
it (a slow password hash protects low-entropy passwords, which these are not) and keeps the
per-request check cheap. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from qgtm_core import QgtmError

__all__ = ["ApiKey", "ApiKeyStore", "Scope"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    salt TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""


class Scope(IntEnum):
    """Scopes are ordered: ``admin`` can do what ``trade`` can, ``trade`` what ``read`` can."""

    READ = 1
    TRADE = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``read`` / ``trade`` / ``admin``, with an error naming the choices."""
        try:
            return cls[text.upper()]
        except KeyError:
            msg = f"unknown API key scope {text!r} (choose read, trade or admin)"
            raise QgtmError(msg) from None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A verified key: never holds the secret."""

    key_id: str
    name: str
    scope: Scope
    rate_per_minute: int
    revoked: bool = False


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class ApiKeyStore:
    """SQLite table of hashed keys (``:memory:`` for tests)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def create(self, name: str, scope: Scope, rate_per_minute: int = 120) -> tuple[ApiKey, str]:
        """Make a key; returns it and the clear-text token, which is not stored anywhere."""
        if rate_per_minute < 1:
            msg = f"api key {name!r}: rate_per_minute must be at least 1, got {rate_per_minute}"
            raise QgtmError(msg)
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(8)
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (key_id, name, scope, salt, secret_hash, rate_per_minute) VALUES (?,?,?,?,?,?)",
                (key_id, name, scope.name.lower(), salt, _hash(salt, secret), rate_per_minute),
            )
        return ApiKey(key_id, name, scope, rate_per_minute), f"qgtm_{key_id}.{secret}"

    def verify(self, token: str) -> ApiKey | None:
        """The key for a presented token, or None when unknown, malformed, wrong or revoked."""
        head, dot, secret = token.partition(".")
        if not dot or not head.startswith("qgtm_"):
            return None
        key_id = head.removeprefix("qgtm_")
        with self._lock:
            row = self._db.execute(
                "SELECT name, scope, salt, secret_hash, rate_per_minute, revoked FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None or row[5]:
            return None
        if not hmac.compare_digest(_hash(str(row[2]), secret), str(row[3])):
            return None
        return ApiKey(key_id, str(row[0]), Scope.parse(str(row[1])), int(row[4]))

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False when there is no such key."""
        with self._lock:
            cur = self._db.execute("UPDATE api_keys SET revoked = 1 WHERE key_id = ?", (key_id,))
        return cur.rowcount == 1

    def list(self) -> list[ApiKey]:
        """Every key (without secrets), by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, name, scope, rate_per_minute, revoked FROM api_keys ORDER BY name, key_id"
            ).fetchall()
        return [ApiKey(str(r[0]), str(r[1]), Scope.parse(str(r[2])), int(r[3]), bool(r[4])) for r in rows]
