"""Abuse limits on the public routes: each client gets so many questions, votes and sessions per window,
and each widget session (the signed session the widget sends as X-Whatworks-Session) so many more.

A client is its IP address, read from X-Forwarded-For only when the request comes through a
configured trusted proxy (anyone can send the header), or the end user a bot names in X-End-User
when it also sends the public API key (the Slack bot names the Slack user, so one busy member
does not use up everyone's share). Counts live in the `limits` library's storage: in memory by
default, in Redis when several replicas must share them.
"""

from __future__ import annotations

import ipaddress
import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse_many, storage, strategies

from assistant.api.deps import sends_public_key
from assistant.core.settings import Settings


class RateLimiter:
    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        # counts kept in this process are read on the event loop; a shared store (Redis) is a network call
        self.blocking = bool(self.items) and not storage_uri.startswith("memory")
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def hit(self, client: str) -> float | None:
        """Count one request; None when allowed, else the seconds until the client may ask again."""
        waits = []
        for item in self.items:
            if not self._limiter.hit(item, "client", client):
                reset = self._limiter.get_window_stats(item, "client", client).reset_time
                waits.append(max(1.0, reset - time.time()))
        return max(waits) if waits else None


def client_of(request: Request, settings: Settings) -> str:
    """Who a request counts against (see the module docstring)."""
    end_user = request.headers.get("x-end-user")
    if end_user and sends_public_key(request, settings):
        return "user:" + end_user[:200]
    return "ip:" + client_ip(request, settings.api.trusted_proxies)


def client_ip(request: Request, trusted: list[str]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    # the nearest address the trusted proxies did not add is the client
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _within(address, trusted):
            return address
    return forwarded[0] if forwarded else peer


def _within(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


async def limit_requests(request: Request) -> None:
    """Count the request against its client and, when it names one this server signed, its widget session.
    In a worker thread only when the counts live in a shared store, whose calls block."""
    limiters = [getattr(request.app.state, name, None) for name in ("limiter", "session_limiter")]
    if any(limiter is not None and limiter.blocking for limiter in limiters):
        await run_in_threadpool(_count, request)
    else:
        _count(request)


def _count(request: Request) -> None:
    waits: list[float] = []
    limiter: RateLimiter | None = getattr(request.app.state, "limiter", None)
    if limiter is not None and limiter.items:
        waits.append(limiter.hit(client_of(request, request.app.state.settings)) or 0.0)
    per_session: RateLimiter | None = getattr(request.app.state, "session_limiter", None)
    token = request.headers.get("x-whatworks-session")
    if per_session is not None and per_session.items and token:
        session = request.app.state.voters.of_session(token[:200])
        if session is not None:  # a forged or foreign session counts by address only
            waits.append(per_session.hit(session) or 0.0)
    wait = max(waits, default=0.0) or None
    if wait is not None:
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.rate_limited.inc()
        minutes = math.ceil(wait / 60)
        when = f"in {minutes} minute{'s' if minutes > 1 else ''}" if wait >= 60 else "in a minute"
        raise HTTPException(
            429,
            f"Too many requests from you in a short time. Please try again {when}.",
            headers={"Retry-After": str(math.ceil(wait))},
        )


RateLimitDep = Annotated[None, Depends(limit_requests)]
