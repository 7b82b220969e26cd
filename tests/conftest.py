"""Shared fixtures: the real model, real Chroma indexes of the real corpus, the real API on loopback."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.core.embeddings import Embedder, SentenceTransformerEmbedder
from assistant.core.service import EvidenceService
from assistant.core.settings import EmbeddingSettings, Settings
from tests.helpers import ingest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
HOSTILE = REPO / "tests" / "fixtures" / "hostile"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once for the session."""
    model = SentenceTransformerEmbedder(EmbeddingSettings())
    model.load()
    return model


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Test settings: no abuse limits (a suite asks hundreds of questions from one address) unless given."""
    overrides.setdefault("api", {"rate_limits": ""})
    return Settings(_env_file=None, corpus_dir=CORPUS, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """The real corpus, ingested with the real model into an embedded Chroma."""
    settings = make_settings(tmp_path_factory.mktemp("corpus-index"))
    report = ingest(settings, embedder, [CORPUS])
    assert report.failed == 0, report.errors
    return settings


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """The real corpus plus the hostile test documents (markup, Slack mentions)."""
    settings = make_settings(tmp_path_factory.mktemp("live-index"))
    report = ingest(settings, embedder, [CORPUS, HOSTILE])
    assert report.failed == 0, report.errors
    return settings


@pytest.fixture(scope="session")
def corpus_service(corpus_settings: Settings, embedder: Embedder) -> Iterator[EvidenceService]:
    from assistant.core.runtime import open_service

    with open_service(corpus_settings, embedder) as service:
        yield service


@pytest.fixture(scope="session")
def live_service(live_settings: Settings, embedder: Embedder) -> Iterator[EvidenceService]:
    from assistant.core.runtime import open_service

    with open_service(live_settings, embedder) as service:
        yield service


@pytest.fixture(scope="session")
def live_app(live_settings: Settings, embedder: Embedder, live_service: EvidenceService) -> FastAPI:
    return create_app(live_settings, embedder, service=live_service)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    settings: Settings
    app: FastAPI


@pytest.fixture(scope="session")
def live_server(live_app: FastAPI, live_settings: Settings) -> Iterator[RunningServer]:
    """The real API served by uvicorn on a free loopback port."""
    with serve_app(live_app) as url:
        yield RunningServer(url, live_settings, live_app)


class _ServerThread:
    def __init__(self, app: FastAPI, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)


from contextlib import contextmanager  # noqa: E402


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free loopback port for the duration of the block."""
    port = free_port()
    runner = _ServerThread(app, port)
    runner.thread.start()
    deadline = time.monotonic() + 60
    while not runner.server.started:
        if time.monotonic() > deadline or not runner.thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        runner.server.should_exit = True
        runner.thread.join(timeout=10)
