"""Who voted, as the server knows them, so that one voter counts once.

- The widget asks for a session (`POST /v1/sessions`): a random id signed with the server's
  secret. Its votes carry the session, and count once per session.
- A caller that holds the API key (the Slack bot) names the voter (the Slack user) itself.
  Without an API key configured the API is open, and a named voter is taken as given.
- Anyone else counts once per client: a keyed hash of its address, never the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class Voters:
    def __init__(self, secret: str | None) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()

    def _sign(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def new_session(self) -> str:
        session = secrets.token_urlsafe(16)
        return f"{session}.{self._sign('session:' + session)}"

    def of_session(self, token: str) -> str | None:
        """The voter of a session this server issued, or None for a forged or foreign one."""
        session, _, signature = token.partition(".")
        if not session or not hmac.compare_digest(signature, self._sign("session:" + session)):
            return None
        return f"session:{session}"

    def of_client(self, address: str) -> str:
        return f"client:{self._sign('client:' + address)[:16]}"
