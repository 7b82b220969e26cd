"""Who reaches which route, over real HTTP: public routes behind the public API key (the widget's
origin exempt), curator routes behind a curator key only, whatever the origin or the public key."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from assistant.api.app import create_app
from assistant.cli import app as cli
from assistant.core.access import key_digest
from assistant.core.settings import Settings
from tests.conftest import serve_app

pytestmark = pytest.mark.slow

ORIGIN = "https://member.example"
CURATOR_KEY = "wwc_test-curator-key-0123456789abcdefghijklmnop"
REVOKED_KEY = "wwc_a-key-whose-name-was-removed-0123456789abcd"

# (method, path, body); the cells below are what each caller gets
ROUTES: list[tuple[str, str, dict | None]] = [
    ("POST", "/v1/ask", {"question": "does cctv work?"}),
    ("POST", "/v1/sessions", None),
    ("GET", "/v1/documents/cctv", None),
    ("GET", "/v1/gaps", None),
    ("GET", "/v1/curator/queries", None),
    ("GET", "/v1/curator/feedback", None),
    ("GET", "/v1/curator/gap-groups", None),
    ("GET", "/v1/curator/ingestion-runs", None),
    ("GET", "/healthz", None),
    ("GET", "/widget/whatworks.js", None),
]
CALLERS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "forged origin": {"Origin": ORIGIN},
    "public key": {"X-API-Key": "public-s3cret"},
    "curator key": {"Authorization": f"Bearer {CURATOR_KEY}"},
    "curator key + origin": {"X-Curator-Key": CURATOR_KEY, "Origin": ORIGIN},
    "revoked curator key": {"Authorization": f"Bearer {REVOKED_KEY}"},
}
EXPECTED = {
    "POST /v1/ask": [401, 200, 200, 401, 200, 401],
    "POST /v1/sessions": [401, 201, 201, 401, 201, 401],
    "GET /v1/documents/cctv": [401, 200, 200, 401, 200, 401],
    "GET /v1/gaps": [401, 401, 401, 200, 200, 401],
    "GET /v1/curator/queries": [401, 401, 401, 200, 200, 401],
    "GET /v1/curator/feedback": [401, 401, 401, 200, 200, 401],
    "GET /v1/curator/gap-groups": [401, 401, 401, 200, 200, 401],
    "GET /v1/curator/ingestion-runs": [401, 401, 401, 200, 200, 401],
    "GET /healthz": [200, 200, 200, 200, 200, 200],
    "GET /widget/whatworks.js": [200, 200, 200, 200, 200, 200],
}


@pytest.fixture(scope="module")
def server(live_settings: Settings, embedder, live_service) -> Callable[[Settings], Iterator[str]]:  # type: ignore[no-untyped-def]
    def serve(settings: Settings) -> Iterator[str]:
        return serve_app(create_app(settings, embedder, service=live_service))  # type: ignore[return-value]

    return serve  # type: ignore[return-value]


def _table(url: str) -> dict[str, list[int]]:
    table = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for method, path, body in ROUTES:
            row = []
            for headers in CALLERS.values():
                response = client.request(method, path, json=body, headers=headers)
                row.append(response.status_code)
            table[f"{method} {path}"] = row
    return table


def test_every_route_by_every_caller(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    settings.api.api_key = SecretStr("public-s3cret")
    settings.api.allowed_origins = [ORIGIN]
    settings.api.curator_keys = {"alice": key_digest(CURATOR_KEY)}
    with server(settings) as url:
        table = _table(url)
        print("\n" + "\n".join(f"{route:28} {row}" for route, row in table.items()))
        assert table == EXPECTED
        # the curator's data reaches no one else
        for route, row in table.items():
            if "/gaps" in route or "/curator/" in route:
                assert 200 not in [s for s, caller in zip(row, CALLERS, strict=True) if "curator" not in caller]
        wrong = httpx.get(f"{url}/v1/gaps", headers={"Authorization": f"Bearer {REVOKED_KEY}"}, timeout=30)
        assert wrong.json()["detail"] == "wrong or revoked curator key"
        assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_curator_routes_are_off_until_a_curator_key_is_configured(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)  # no public key either: the old open default
    with server(settings) as url:
        for headers in CALLERS.values():
            response = httpx.get(f"{url}/v1/gaps", headers=headers, timeout=30)
            assert response.status_code == 403
            assert "no curator key is configured" in response.json()["detail"]
        assert httpx.post(f"{url}/v1/ask", json={"question": "does cctv work?"}, timeout=30).status_code == 200


def test_curator_key_command_prints_a_key_and_only_its_hash_for_the_settings() -> None:
    run = CliRunner().invoke(cli, ["curator-key", "alice"])
    assert run.exit_code == 0, run.output
    key = run.output.split(": ", 1)[1].split()[0]
    assert key.startswith("wwc_")
    assert len(key) > 40
    assert f'"alice": "{key_digest(key)}"' in run.output
    assert run.output.count(key) == 1  # the settings line holds the hash, never the key
    assert CliRunner().invoke(cli, ["curator-key", "no spaces"]).exit_code == 2


def test_a_curator_key_in_clear_in_the_settings_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="curator_keys.alice: expected 'sha256:'"):
        Settings(_env_file=None, api={"curator_keys": {"alice": CURATOR_KEY}})  # type: ignore[call-arg]


def _ask(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/v1/ask", json={"question": "does cctv work?"}, headers=headers, timeout=30)


def test_a_burst_from_one_client_gets_429_while_another_is_served(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    settings.api.rate_limits = "5/minute;100/day"
    settings.api.trusted_proxies = ["127.0.0.1"]  # the test client plays the proxy in front of two members
    with server(settings) as url:
        burst = [_ask(url, {"X-Forwarded-For": "203.0.113.5"}) for _ in range(8)]
        assert [r.status_code for r in burst] == [200] * 5 + [429] * 3
        refused = burst[-1]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"] == "Too many requests from you in a short time. Please try again in a minute."
        assert _ask(url, {"X-Forwarded-For": "203.0.113.9"}).status_code == 200  # another member
        # a client cannot pose as another by prepending addresses: the proxy's own entry is the last one
        assert _ask(url, {"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}).status_code == 429


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    settings.api.rate_limits = "3/minute"
    with server(settings) as url:
        statuses = [_ask(url, {"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(5)]
        assert statuses == [200, 200, 200, 429, 429]  # all one client: the loopback address


def test_a_widget_session_is_limited_on_its_own_and_a_forged_one_by_address(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    settings.api.rate_limits = "8/minute"
    settings.api.session_rate_limits = "2/minute"
    with server(settings) as url:
        first, second = (httpx.post(f"{url}/v1/sessions", timeout=30).json()["session"] for _ in range(2))
        tab = [_ask(url, {"X-Whatworks-Session": first}).status_code for _ in range(3)]
        assert tab == [200, 200, 429]
        assert _ask(url, {"X-Whatworks-Session": second}).status_code == 200  # another tab at the same address
        # a session this server did not sign buys nothing: the address's own limit still runs out
        forged = [_ask(url, {"X-Whatworks-Session": f"forged{i}.00"}).status_code for i in range(4)]
        assert forged == [200, 200, 429, 429]  # 2 sessions + 3 + 1 + 2 = 8 of this address's 8


def test_a_bot_with_the_api_key_is_limited_per_end_user(live_settings: Settings, server) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    settings.api.rate_limits = "2/minute"
    settings.api.api_key = SecretStr("bot-s3cret")
    with server(settings) as url:
        bot = {"X-API-Key": "bot-s3cret"}
        alice = [_ask(url, bot | {"X-End-User": "slack:U0ALICE"}).status_code for _ in range(3)]
        assert alice == [200, 200, 429]
        assert _ask(url, bot | {"X-End-User": "slack:U0BOB"}).status_code == 200
        # without the key, X-End-User is not believed (and the key is required anyway)
        assert _ask(url, {"X-End-User": "slack:U0CAROL"}).status_code == 401


def test_metrics_count_answers_refusals_and_limits_and_each_question_logs_one_json_line(
    live_settings: Settings, server, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    caplog.set_level(logging.INFO, logger="whatworks.questions")
    settings = live_settings.model_copy(deep=True)
    settings.api.rate_limits = "4/minute"
    with server(settings) as url:
        answered = _ask(url, {"X-Whatworks-Face": "slack"})
        refused = httpx.post(f"{url}/v1/ask", json={"question": "how do I bake sourdough bread?"}, timeout=30)
        other = httpx.post(
            f"{url}/v1/ask", json={"question": "¿Los programas de mentoría reducen la delincuencia?"}, timeout=30
        )
        assert (answered.status_code, refused.status_code, other.status_code) == (200, 200, 200)
        assert _ask(url, {}).status_code == 200
        assert _ask(url, {}).status_code == 429
        metrics = httpx.get(f"{url}/metrics", timeout=30).text

    assert 'whatworks_answers_total{face="slack",language="en",mode="extractive"} 1.0' in metrics
    assert 'whatworks_answers_total{face="api",language="en",mode="extractive"} 1.0' in metrics
    assert 'whatworks_refusals_total{face="api",language="en",reason="no-evidence"} 1.0' in metrics
    assert 'whatworks_refusals_total{face="api",language="es",reason="unsupported-language"} 1.0' in metrics
    assert "whatworks_rate_limited_requests_total 1.0" in metrics
    assert 'http_requests_total{handler="/v1/ask",method="POST",status="429"} 1.0' in metrics
    assert 'http_request_duration_seconds_count{handler="/v1/ask"' in metrics

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "whatworks.questions"]
    assert [line["question_id"] for line in lines][:3] == [r.json()["question_id"] for r in (answered, refused, other)]
    first = lines[0]
    assert first["face"] == "slack"
    assert "cctv" in first["cited"]
    assert first["timings_ms"]["total_ms"] > 0
    assert all("sourdough" not in json.dumps(line) for line in lines)  # no question text in the logs
