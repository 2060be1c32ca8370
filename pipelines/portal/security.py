"""Security building blocks of the portal, assembled from the standard library and Starlette.

Nothing here is a hand-written cryptographic primitive:
- session cookies are signed by Starlette's SessionMiddleware (itsdangerous, HMAC-SHA1 timestamp
  signer) with a random key kept outside the repository, and flagged HttpOnly + SameSite=Strict;
- CSRF protection is the "synchronizer token" pattern of the OWASP cheat sheet: a random token
  (`secrets.token_urlsafe`) stored in the signed session, echoed by every form as a hidden field and
  compared in constant time (`secrets.compare_digest`). No maintained CSRF package is installed here
  (starlette-csrf / fastapi-csrf-protect), and the session is already signed, so this is the
  smallest correct construction. An `Origin` header from another site is refused as well;
- failed logins are throttled in memory, per account and per client address, with an exponentially
  growing lock-out (see `LoginThrottle`): enough for one process on 127.0.0.1; a multi-process
  deployment would move the counters to the accounts database.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from starlette.requests import Request

from pipelines.config import Settings

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"


def session_secret(settings: Settings) -> str:
    """The cookie-signing key: SPRO_PORTAL_SECRET_KEY, else a random key file created once (0600)."""
    from_env = os.environ.get("SPRO_PORTAL_SECRET_KEY")
    if from_env:
        return from_env
    path: Path = settings.warehouse_dir / "secrets" / "portal_session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (rendered into every form)."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


def csrf_valid(request: Request, submitted: str | None) -> bool:
    expected = request.session.get(CSRF_SESSION_KEY)
    if not expected or not submitted:
        return False
    if not secrets.compare_digest(expected.encode(), submitted.encode()):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected_origin = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected_origin:
            return False
    return True


@dataclass
class _Counter:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass
class LoginThrottle:
    """Failed-login counters per key ("compte:<email>", "ip:<address>").

    After `threshold` consecutive failures a key is locked for `base_delay * 2**(n - threshold)`
    seconds (capped at `max_delay`); while locked, attempts are refused without checking the
    password, so guessing slows down exponentially. A success clears the account's counter; counters
    are forgotten after `forget_after` seconds without failure.
    """

    threshold: int = 5
    base_delay: float = 2.0
    max_delay: float = 900.0
    forget_after: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    _counters: dict[str, _Counter] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, keys: list[str]) -> float:
        """Seconds to wait before any of `keys` may try again (0 if none is locked)."""
        now = self.clock()
        with self._lock:
            waits = [
                counter.locked_until - now
                for key in keys
                if (counter := self._counters.get(key)) is not None
            ]
        return max([0.0, *waits])

    def failure(self, keys: list[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                counter = self._counters.get(key)
                if counter is None or now - counter.last_failure > self.forget_after:
                    counter = self._counters[key] = _Counter()
                counter.failures += 1
                counter.last_failure = now
                if counter.failures >= self.threshold:
                    delay = min(self.base_delay * 2 ** (counter.failures - self.threshold), self.max_delay)
                    counter.locked_until = now + delay

    def success(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)


SECURITY_HEADERS = {
    # Scripts, styles and images only from the portal itself: no inline script can run, so an
    # injected string cannot become code. Chart data travels in <script type="application/json">.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}
