"""Signing in to the curators' console: a curator key exchanged for a session cookie, and CSRF tokens.

The cookie is HTTP-only, SameSite=Strict, Secure (browsers accept it from http://localhost too),
scoped to /console, and holds the key's name, an expiry and a random id, signed with the server's
secret together with the key's configured hash: removing the name or changing its key ends every
session it opened. The key itself is never stored or logged.

Every state-changing console request carries a CSRF token bound to its session (a keyed hash of the
session id) in a form field, and its Origin, when a browser sends one, must be the server's own.
The sign-in form, before any session exists, uses a double-submitted random token instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "whatworks_console"
SIGN_IN_COOKIE = "whatworks_console_sign_in"


@dataclass(frozen=True)
class CuratorSession:
    name: str
    session_id: str
    expires: float


class ConsoleSessions:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _sign(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def issue(self, name: str, digest: str, hours: float, now: float | None = None) -> str:
        payload = {"n": name, "e": int((now or time.time()) + hours * 3600), "s": secrets.token_urlsafe(16)}
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._sign('session:' + body + ':' + digest)}"

    def read(self, cookie: str | None, keys: dict[str, str], now: float | None = None) -> CuratorSession | None:
        """The session of a cookie this server issued for a key still configured, and not expired."""
        if not cookie or "." not in cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            name, expires, session_id = str(payload["n"]), float(payload["e"]), str(payload["s"])
        except (ValueError, KeyError, TypeError):
            return None
        digest = keys.get(name)
        if digest is None or not hmac.compare_digest(signature, self._sign("session:" + body + ":" + digest)):
            return None
        if expires < (now or time.time()):
            return None
        return CuratorSession(name, session_id, expires)

    def csrf_token(self, session: CuratorSession) -> str:
        return self._sign("csrf:" + session.session_id)[:40]

    def csrf_ok(self, session: CuratorSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)


def same_origin(origin: str | None, scheme: str, host: str | None) -> bool:
    """A browser's Origin names this server (absent: an older browser or a non-browser client)."""
    if origin is None:
        return True
    return host is not None and origin in (f"{scheme}://{host}", f"https://{host}", f"http://{host}")
