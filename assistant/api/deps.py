"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from assistant.core.access import curator_named
from assistant.core.service import EvidenceService
from assistant.core.settings import Settings


# The dependencies below are `async def` because they only read memory: a plain `def` would be handed to the
# thread pool and back on every request (a question paid for four such hand-offs before this).
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_service(request: Request) -> EvidenceService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise HTTPException(503, "the service is starting; retry in a few seconds", headers={"Retry-After": "5"})
    return service  # type: ignore[no-any-return]


def sends_public_key(request: Request, settings: Settings) -> bool:
    """The request carries the configured public API key (compared in constant time)."""
    key, given = settings.api.api_key, request.headers.get("x-api-key")
    return key is not None and given is not None and hmac.compare_digest(given, key.get_secret_value())


async def require_api_key(request: Request, x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None) -> None:
    """With an API key configured, callers send it; browsers on allowlisted origins (the widget) need not.

    `x_api_key` is declared so the OpenAPI schema shows the header; `sends_public_key` reads it."""
    settings: Settings = request.app.state.settings
    if settings.api.api_key is None:
        return
    origin = request.headers.get("origin")
    if origin and origin in settings.api.allowed_origins:
        return
    if not sends_public_key(request, settings):
        raise HTTPException(401, "missing or wrong X-API-Key header")


def require_curator(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_curator_key: Annotated[str | None, Header(alias="X-Curator-Key")] = None,
) -> str:
    """A curator route: a configured curator key, whatever the Origin; the routes are off without one.

    The key comes as `Authorization: Bearer <key>` or `X-Curator-Key`. It is compared by hash, in
    constant time, against every configured key, and never logged. Returns the key's name.
    """
    settings: Settings = request.app.state.settings
    keys = settings.api.curator_keys
    if not keys:
        raise HTTPException(
            403, "curator routes are off: no curator key is configured (see `whatworks curator-key NAME`)"
        )
    given = x_curator_key
    if given is None and authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not given:
        raise HTTPException(
            401,
            "a curator route: send a curator key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    found = curator_named(given, keys)
    if found is None:
        raise HTTPException(401, "wrong or revoked curator key", headers={"WWW-Authenticate": "Bearer"})
    return found


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[EvidenceService, Depends(get_service)]
ApiKeyDep = Annotated[None, Depends(require_api_key)]
CuratorDep = Annotated[str, Depends(require_curator)]
