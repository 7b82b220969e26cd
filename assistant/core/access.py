"""Curator credentials: keys are long random tokens, stored only as their SHA-256 (`sha256:<hex>`).

A fast hash is enough for a 256-bit random token (nothing to guess from it); what matters is that
the configuration, logs and backups never hold a usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping


def key_digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_curator_key() -> tuple[str, str]:
    """A new key and the digest to configure for it."""
    key = "wwc_" + secrets.token_urlsafe(32)
    return key, key_digest(key)


def curator_named(key: str, keys: Mapping[str, str]) -> str | None:
    """The name of the configured key this one is, compared by hash in constant time against every one."""
    digest = key_digest(key)
    found = None
    for name, stored in keys.items():  # no early exit: the time says nothing of which matched
        if hmac.compare_digest(digest, stored):
            found = name
    return found
