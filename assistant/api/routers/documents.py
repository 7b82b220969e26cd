"""GET /v1/documents/{id} and GET /v1/gaps (what members asked that the evidence base could not answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.core.answers import error_responses
from assistant.core.service import NotReady

router = APIRouter(prefix="/v1", tags=["documents"], responses=error_responses(404))


@router.get("/documents/{document_id}")
def get_document(document_id: str, service: ServiceDep, _key: ApiKeyDep) -> dict[str, Any]:
    try:
        document = service.document(document_id)
    except NotReady as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "10"}) from None
    if document is None:
        raise HTTPException(404, f"no document with id {document_id!r}")
    return document


@router.get("/gaps")
def get_gaps(service: ServiceDep, _key: ApiKeyDep, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    return service.records.evidence_gaps(limit)
