"""The API against its own OpenAPI schema, with Schemathesis: no server error, no response the schema does not describe.

Bounded examples per operation keep it to well under a minute; the app answers from the real corpus
with the real model, its own query log in a temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from assistant.api.app import create_app
from assistant.core.embeddings import Embedder
from assistant.core.settings import ChromaSettings, Settings

pytestmark = pytest.mark.slow
EXAMPLES = 40


@pytest.fixture(scope="module")
def schema_app(
    corpus_settings: Settings, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    from assistant.core.runtime import open_service

    own = corpus_settings.model_copy(
        update={
            "data_dir": Path(tmp_path_factory.mktemp("schema")),
            "chroma": ChromaSettings(path=corpus_settings.chroma_path),
        }
    )
    with open_service(own, embedder) as service:
        # as a deployed server is: its balancer sends nothing before /readyz, which waits for the warm-up
        # (a cold first French question, which Hypothesis's random text often is, took over the client's
        # 10 s on a CPU without VNNI)
        service.warm_up().join()
        yield create_app(own, embedder, service=service)


def check_operation(
    operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, sent: dict[str, int]
) -> None:
    """Bounded examples of one operation, each sent and validated against the schema."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
    )
    def check(case: schemathesis.Case) -> None:
        sent[mode.value] = sent.get(mode.value, 0) + 1
        case.call_and_validate()

    check()


def test_the_api_keeps_to_its_schema(schema_app: FastAPI) -> None:
    """Every operation, valid and invalid examples: 0 server errors, 0 responses outside the schema,
    every valid request accepted and every invalid one refused."""
    api = schemathesis.openapi.from_asgi("/openapi.json", schema_app)
    sent: dict[str, int] = {}
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:
        for mode in schemathesis.GenerationMode:
            try:
                check_operation(operation, mode, sent)
            except Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE  # /healthz takes nothing to get wrong
    print(f"schemathesis: {sent} requests over {len(operations)} operations, 0 failures")
