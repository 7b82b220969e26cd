"""The project as a new user meets it: README commands, CI script, compose file, Dockerfile, settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from assistant.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def test_readme_opens_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    head = readme[: readme.index("\n## ", readme.index("make test"))]
    assert "make run" in head
    assert "make test" in head
    for section in ("Configuration", "Adding evidence", "Slack", "widget", "Scaling out"):
        assert section.lower() in readme.lower(), section


def test_ci_runs_make_test_and_nothing_else() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == "make test"


def test_compose_file_has_the_five_roles() -> None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        run = subprocess.run(["docker", "compose", "config", "-q"], cwd=REPO, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "chroma", "api", "slack", "ingest"}
    assert services["chroma"]["image"].startswith("chromadb/chroma")
    assert "healthcheck" in services["chroma"]
    assert any(v.startswith("chroma-data:") for v in services["chroma"]["volumes"])
    assert services["ingest"]["profiles"] == ["ingest"]
    assert services["api"]["environment"]["WHATWORKS_CHROMA__URL"] == "http://chroma:8000"
    assert services["slack"]["environment"]["WHATWORKS_SLACK__API_URL"] == "http://api:8000"
    for name in ("api", "slack", "ingest"):
        assert services[name]["depends_on"]
    assert set(compose["volumes"]) >= {"chroma-data", "postgres-data"}
    # the query log, feedback and ingestion runs are shared in PostgreSQL by the API and the ingestion job
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    for name in ("api", "ingest"):
        assert services[name]["environment"]["WHATWORKS_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_dockerfile_pins_torch_and_runs_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "torch==2.13.0" in dockerfile
    user = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user
    assert user[-1] != "USER root"


def test_settings_read_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATWORKS_CHROMA__URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("WHATWORKS_API__ALLOWED_ORIGINS", '["https://intranet.example.ca"]')
    monkeypatch.setenv("WHATWORKS_API__API_KEY", "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.chroma.url == "http://127.0.0.1:9999"
    assert settings.api.allowed_origins == ["https://intranet.example.ca"]
    assert settings.api.api_key is None


def test_the_project_sets_offline_mode_for_the_model_hub() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "export HF_HUB_OFFLINE := 1" in makefile
    assert "export TRANSFORMERS_OFFLINE := 1" in makefile
    assert "HF_HUB_OFFLINE=1" in (REPO / "Dockerfile").read_text()


def test_the_llm_server_is_built_without_native_flags_at_the_version_the_llm_extra_names() -> None:
    """`-march=native` on a CPU advertising AMX in a VM without AMX's tile state built a server that died at
    its first completion; the Makefile builds llama.cpp for AVX2, and must name the range pyproject.toml does."""
    import tomllib

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    extra = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    (llama,) = [d for d in extra["llm"] if d.startswith("llama-cpp-python")]
    assert f"--no-cache-dir --force-reinstall --no-deps '{llama}'" in makefile
    assert "-DGGML_NATIVE=OFF" in makefile
