"""Portal accounts and server-side sessions, in a small SQLite file of the portal's own.

Why SQLite and not the warehouse: the portal must never open the read-write DuckDB (one writer at a
time, and the pipeline may be running), and accounts are not statistics. The file lives under
`<warehouse_dir>/portal/accounts.sqlite` (git-ignored run-time data).

Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher` defaults, RFC 9106 parameters);
the clear password is never stored nor logged. Sessions are server-side rows keyed by the SHA-256 of
a random identifier, so that logging out or resetting a password really ends a session even though
the cookie itself is a signed, client-side blob (Starlette's SessionMiddleware).
"""

from __future__ import annotations

import csv
import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipelines.config import Settings

ROLE_REGION = "region"
ROLE_MEMBER = "membre"
ROLES = (ROLE_REGION, ROLE_MEMBER)

MIN_PASSWORD_LENGTH = 12
SESSION_LIFETIME_SECONDS = 8 * 3600

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so that a wrong e-mail costs the same time as a wrong password
# (no account enumeration through response times).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A refused account operation; the message is French (shown to the Region's operator)."""


@dataclass(frozen=True)
class Member:
    """One structure of the members registry (dbt seed ref_members): public reference data."""

    member_code: str
    member_name: str
    network_code: str
    agency_code: str
    bassin_code: str


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    member_code: str | None

    @property
    def is_region(self) -> bool:
        return self.role == ROLE_REGION


def load_members(settings: Settings) -> dict[str, Member]:
    """The members registry, read from the dbt seed so the portal and the warehouse agree."""
    path = settings.dbt_project_dir / "seeds" / "ref_members.csv"
    members: dict[str, Member] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            members[row["member_code"]] = Member(
                member_code=row["member_code"],
                member_name=row["member_name"],
                network_code=row["network_code"],
                agency_code=row["agency_code"],
                bassin_code=row["bassin_code"],
            )
    return members


def generate_password() -> str:
    """A random password for a new account (shown once to the operator, never stored in clear)."""
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


def accounts_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "portal" / "accounts.sqlite"


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"Adresse électronique invalide : {email!r}")
    return email


class AccountStore:
    """Accounts and sessions; every method opens its own short connection (thread-safe enough)."""

    def __init__(self, path: Path, members: dict[str, Member]):
        self.path = path
        self.members = members
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(
                """
                create table if not exists accounts (
                    email text primary key,
                    role text not null check (role in ('region', 'membre')),
                    member_code text,
                    password_hash text not null,
                    created_at real not null,
                    password_changed_at real not null
                );
                create table if not exists sessions (
                    sid_hash text primary key,
                    email text not null references accounts(email) on delete cascade,
                    expires_at real not null
                );
                """
            )
        try:
            path.chmod(0o600)
        except OSError:  # pragma: no cover - exotic file systems
            pass

    @classmethod
    def for_settings(cls, settings: Settings) -> "AccountStore":
        return cls(accounts_path(settings), load_members(settings))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("pragma foreign_keys = on")
        return db

    # ------------------------------------------------------------------ accounts
    def count(self) -> int:
        with self._connect() as db:
            return db.execute("select count(*) from accounts").fetchone()[0]

    def list_accounts(self) -> list[Account]:
        with self._connect() as db:
            rows = db.execute("select email, role, member_code from accounts order by email").fetchall()
        return [Account(*row) for row in rows]

    def get(self, email: str) -> Account | None:
        with self._connect() as db:
            row = db.execute(
                "select email, role, member_code from accounts where email = ?", (email.strip().lower(),)
            ).fetchone()
        return Account(*row) if row else None

    def create(self, email: str, role: str, password: str, member_code: str | None = None) -> Account:
        email = _normalise_email(email)
        if role not in ROLES:
            raise AccountError(f"Rôle inconnu : {role}")
        if role == ROLE_MEMBER:
            if member_code not in self.members:
                raise AccountError(f"Structure inconnue du référentiel des membres : {member_code}")
        else:
            member_code = None
        self._check_password(password)
        now = time.time()
        try:
            with self._connect() as db:
                db.execute(
                    "insert into accounts values (?, ?, ?, ?, ?, ?)",
                    (email, role, member_code, _hasher.hash(password), now, now),
                )
        except sqlite3.IntegrityError as error:
            raise AccountError(f"Un compte existe déjà pour {email}") from error
        return Account(email, role, member_code)

    def reset_password(self, email: str, password: str) -> None:
        """New password; every open session of the account ends."""
        email = _normalise_email(email)
        self._check_password(password)
        with self._connect() as db:
            changed = db.execute(
                "update accounts set password_hash = ?, password_changed_at = ? where email = ?",
                (_hasher.hash(password), time.time(), email),
            ).rowcount
            db.execute("delete from sessions where email = ?", (email,))
        if not changed:
            raise AccountError(f"Aucun compte pour {email}")

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"Mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account if the password matches; the same work is done when the e-mail is unknown."""
        email = email.strip().lower()
        with self._connect() as db:
            row = db.execute(
                "select email, role, member_code, password_hash from accounts where email = ?", (email,)
            ).fetchone()
        stored = row[3] if row else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:  # pragma: no cover - a random dummy password cannot match
            return None
        if _hasher.check_needs_rehash(stored):
            with self._connect() as db:
                db.execute("update accounts set password_hash = ? where email = ?", (_hasher.hash(password), email))
        return Account(row[0], row[1], row[2])

    # ------------------------------------------------------------------ sessions
    @staticmethod
    def _sid_hash(sid: str) -> str:
        return hashlib.sha256(sid.encode()).hexdigest()

    def open_session(self, account: Account) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._connect() as db:
            db.execute("delete from sessions where expires_at < ?", (now,))
            db.execute(
                "insert into sessions values (?, ?, ?)",
                (self._sid_hash(sid), account.email, now + SESSION_LIFETIME_SECONDS),
            )
        return sid

    def session_account(self, sid: str) -> Account | None:
        with self._connect() as db:
            row = db.execute(
                "select a.email, a.role, a.member_code from sessions s join accounts a on a.email = s.email "
                "where s.sid_hash = ? and s.expires_at > ?",
                (self._sid_hash(sid), time.time()),
            ).fetchone()
        return Account(*row) if row else None

    def close_session(self, sid: str) -> None:
        with self._connect() as db:
            db.execute("delete from sessions where sid_hash = ?", (self._sid_hash(sid),))
