"""Shared fixtures: the real model, real Chroma indexes of the real corpus, the real API on loopback."""

from __future__ import annotations

import gc
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
from assistant.core.embeddings import Embedder, OnnxEmbedder, make_embedder
from assistant.core.service import EvidenceService
from assistant.core.settings import EmbeddingSettings, Settings
from tests.helpers import ingest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
HOSTILE = REPO / "tests" / "fixtures" / "hostile"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2 as the product runs it (ONNX Runtime), loaded once for the session."""
    model = make_embedder(EmbeddingSettings())
    assert isinstance(model, OnnxEmbedder)
    model.load()
    return model


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Test settings: no abuse limits (a suite asks hundreds of questions from one address) unless given."""
    overrides.setdefault("api", {"rate_limits": "", "session_rate_limits": ""})
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


POSTGRES_BIN = "/usr/lib/postgresql/*/bin"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server of our own: a temporary cluster on a free loopback port, trust auth, no fsync.

    As root (`make test`), the server runs as the `postgres` user the Debian package creates.
    Yields the URL of an empty database `whatworks_test`; the server stops at the end of the session.
    """
    import glob
    import shutil
    import subprocess
    import tempfile

    found = sorted(glob.glob(f"{POSTGRES_BIN}/initdb"))
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no {POSTGRES_BIN}/initdb): `make apt-deps` installs it")
    bin_dir = Path(found[-1]).parent
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
    # as root, in /tmp itself: the `postgres` user cannot enter root's own temporary directories
    root = Path(tempfile.mkdtemp(prefix="whatworks-pg-", dir="/tmp" if as_user else None))
    if as_user:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}{server_log}")

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        started = True  # from here on, stop it whatever happens (a start that timed out may still be up)
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "whatworks_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/whatworks_test"
    finally:
        if started:
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _collectable_again() -> Iterator[None]:
    """A service freezes what is alive after each snapshot (`gc.freeze`); in one test process, what a test
    leaves behind must stay collectable."""
    yield
    gc.unfreeze()
