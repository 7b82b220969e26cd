"""The HTTP API against the real corpus and model: what a caller sees."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.core.settings import Settings
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def client(live_app: FastAPI) -> TestClient:
    return TestClient(live_app)


def test_ask_cites_the_document_that_answers(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "Does better street lighting reduce crime?"})
    assert response.status_code == 200
    body = response.json()
    assert body["no_evidence"] is False
    assert body["answer_mode"] == "extractive"
    cited = [c["document_id"] for c in body["citations"]]
    assert "street-lighting" in cited
    first = body["citations"][0]
    assert f"[{first['n']}]" in body["answer"]
    assert first["quote"]
    assert first["verdict"] in {
        "effective",
        "promising",
        "mixed",
        "no-effect",
        "harmful",
        "not-rated",
    }
    assert "**Sources**" in body["answer"]
    assert body["question_id"]


def test_harmful_program_is_named_as_harmful(client: TestClient) -> None:
    body = client.post(
        "/v1/ask", json={"question": "should we take at-risk teens on prison visits to scare them"}
    ).json()
    first = body["summary"][0]
    assert (first["document_id"], first["verdict"]) == ("scared-straight", "harmful")
    assert body["answer"].startswith("**Scared Straight and other juvenile awareness programs**: Harmful")
    assert f"[{first['n']}]" in body["answer"]


def test_quotes_are_verbatim_from_the_document(client: TestClient) -> None:
    body = client.post(
        "/v1/ask", json={"question": "what works to stop burglary happening again to the same home"}
    ).json()
    assert body["citations"]
    for citation in body["citations"]:
        doc = client.get(f"/v1/documents/{citation['document_id']}").json()
        text = " ".join(" ".join(s["text"].split()) for s in doc["sections"])
        for sentence in citation["quote"].split(" - "):
            assert sentence.strip()[:40] in text


def test_out_of_scope_question_gets_the_helpful_no_evidence_answer(client: TestClient, live_service) -> None:
    body = client.post("/v1/ask", json={"question": "what's a good recipe for banana bread?"}).json()
    assert body["no_evidence"] is True
    assert body["citations"] == []
    assert "does not cover" in body["answer"]
    assert 1 <= len(body["nearest_topics"]) <= 3
    assert all(t["title"] in body["answer"] for t in body["nearest_topics"])
    gaps = live_service.records.evidence_gaps()
    assert any(g["question"] == "what's a good recipe for banana bread?" for g in gaps)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question: the question is empty"),
        ({"question": "   "}, "question: the question is empty"),
        ({"question": "x" * 2001}, "limit is 2,000"),
        ({"question": "y" * 100_000}, "100,000 characters"),
        ({"question": "cctv", "filters": {"colour": ["red"]}}, "filters.colour: unknown field"),
        ({"question": "cctv", "filters": {"verdict": ["amazing"]}}, "filters.verdict.0"),
        ({}, "question: Field required"),
    ],
)
def test_bad_requests_get_422_with_a_readable_detail(client: TestClient, payload: dict, fragment: str) -> None:
    response = client.post("/v1/ask", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_filters_restrict_citations(client: TestClient) -> None:
    body = client.post(
        "/v1/ask", json={"question": "what works for youth violence", "filters": {"settings": ["school"]}}
    ).json()
    assert body["citations"]
    for citation in body["citations"]:
        doc = client.get(f"/v1/documents/{citation['document_id']}").json()
        assert "school" in doc["settings"]
    body = client.post(
        "/v1/ask", json={"question": "programs for young people", "filters": {"verdict": ["harmful"]}}
    ).json()
    assert {c["verdict"] for c in body["citations"]} <= {"harmful"}


def test_follow_up_uses_the_conversation(client: TestClient) -> None:
    conversation = [
        {"role": "user", "content": "what does the evidence say about hot spots policing?"},
        {"role": "assistant", "content": "Hot spots policing reduces crime a little [1]."},
    ]
    body = client.post(
        "/v1/ask", json={"question": "does it just push crime elsewhere?", "conversation": conversation}
    ).json()
    assert "hot spots" in body["standalone_question"].lower()
    assert "hot-spots-policing" in [c["document_id"] for c in body["citations"]]


def test_stream_sends_status_deltas_citations_then_done(client: TestClient) -> None:
    with client.stream("POST", "/v1/ask/stream", json={"question": "does CCTV reduce crime in car parks"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n", 1)[1].removeprefix("data: ")))
        for block in raw.strip().split("\n\n")
    ]
    names = [name for name, _ in events]
    assert names[0] == "status"
    assert names[-1] == "done"
    assert names[-2] == "citations"
    assert names.count("delta") >= 2
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert text == done["answer"]
    assert "cctv" in [c["document_id"] for c in done["citations"]]


def test_feedback_is_stored_once_per_voter(client: TestClient, live_service) -> None:
    qid = client.post("/v1/ask", json={"question": "does mentoring reduce delinquency"}).json()["question_id"]
    assert client.post("/v1/feedback", json={"question_id": qid, "rating": "up", "voter": "U1"}).status_code == 201
    again = client.post("/v1/feedback", json={"question_id": qid, "rating": "down", "voter": "U1"})
    assert again.status_code == 409
    assert again.json()["detail"] == "already voted on this answer"
    assert (
        client.post("/v1/feedback", json={"question_id": qid, "rating": "down", "comment": "too long"}).status_code
        == 201
    )
    stored = live_service.feedback_for(qid)
    assert stored[0] == {"rating": "up", "comment": None, "voter": "U1"}
    assert (stored[1]["rating"], stored[1]["comment"]) == ("down", "too long")
    assert stored[1]["voter"].startswith("client:")  # an anonymous vote counts once per client
    repeats = [client.post("/v1/feedback", json={"question_id": qid, "rating": "down"}).status_code for _ in range(4)]
    assert repeats == [409] * 4
    assert len(live_service.feedback_for(qid)) == 2
    missing = client.post("/v1/feedback", json={"question_id": "nope", "rating": "up"})
    assert missing.status_code == 404


def test_widget_votes_count_once_per_server_issued_session(client: TestClient, live_service) -> None:
    qid = client.post("/v1/ask", json={"question": "does street lighting reduce crime"}).json()["question_id"]
    first, second = (client.post("/v1/sessions").json()["session"] for _ in range(2))
    assert first != second
    assert client.post("/v1/feedback", json={"question_id": qid, "rating": "up", "session": first}).status_code == 201
    again = client.post("/v1/feedback", json={"question_id": qid, "rating": "up", "session": first})
    assert again.status_code == 409
    assert client.post("/v1/feedback", json={"question_id": qid, "rating": "up", "session": second}).status_code == 201
    forged = client.post("/v1/feedback", json={"question_id": qid, "rating": "up", "session": first[:-3] + "abc"})
    assert forged.status_code == 403
    assert forged.json()["detail"].startswith("session:")
    assert [f["voter"].startswith("session:") for f in live_service.feedback_for(qid)] == [True, True]


def test_a_named_voter_needs_the_api_key_when_one_is_set(live_settings: Settings, embedder, live_service) -> None:
    settings = live_settings.model_copy(deep=True)
    settings.api.api_key = __import__("pydantic").SecretStr("s3cret")
    settings.api.allowed_origins = ["https://member.example"]
    with TestClient(create_app(settings, embedder, service=live_service)) as keyed:
        key = {"X-API-Key": "s3cret"}
        qid = keyed.post("/v1/ask", json={"question": "does cctv work"}, headers=key).json()["question_id"]
        named = {"question_id": qid, "rating": "up", "voter": "U9"}
        assert keyed.post("/v1/feedback", json=named, headers=key).status_code == 201
        # a browser on an allowed origin needs no key, but cannot name a voter: it counts as its client
        forged = {"question_id": qid, "rating": "up", "voter": "U8"}
        assert keyed.post("/v1/feedback", json=forged, headers={"Origin": "https://member.example"}).status_code == 201
        voters = [f["voter"] for f in live_service.feedback_for(qid)]
        assert voters[0] == "U9"
        assert voters[1].startswith("client:")
        assert "U8" not in voters


def test_document_endpoint(client: TestClient) -> None:
    doc = client.get("/v1/documents/scared-straight").json()
    assert doc["verdict"] == "harmful"
    assert any(s["heading"].startswith("Evidence") for s in doc["sections"])
    assert doc["sources"]
    missing = client.get("/v1/documents/no-such-thing")
    assert missing.status_code == 404
    assert "no-such-thing" in missing.json()["detail"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["chunks"] > 500


def test_empty_index_answers_503_with_retry_after(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings, embedder)) as empty:
        response = empty.post("/v1/ask", json={"question": "does cctv work"})
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert "whatworks-ingest" in response.json()["detail"]
        assert empty.get("/readyz").status_code == 503


def test_api_key_is_required_when_configured(live_settings: Settings, embedder, live_service) -> None:
    settings = live_settings.model_copy(deep=True)
    settings.api.api_key = __import__("pydantic").SecretStr("s3cret")
    app = create_app(settings, embedder, service=live_service)
    with TestClient(app) as keyed:
        assert keyed.post("/v1/ask", json={"question": "does cctv work"}).status_code == 401
        ok = keyed.post("/v1/ask", json={"question": "does cctv work"}, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200


def test_real_http_round_trip(live_server) -> None:
    response = httpx.post(f"{live_server.url}/v1/ask", json={"question": "does neighbourhood watch work"}, timeout=30)
    assert response.status_code == 200
    assert "neighbourhood-watch" in [c["document_id"] for c in response.json()["citations"]]


def test_an_off_topic_question_in_a_conversation_does_not_borrow_its_topic(client: TestClient) -> None:
    conversation = [
        {"role": "user", "content": "Is CCTV effective?"},
        {"role": "assistant", "content": "**What works**\n- CCTV (closed-circuit television cameras): “…” [1]"},
    ]
    body = client.post(
        "/v1/ask", json={"question": "How do I bake sourdough bread?", "conversation": conversation}
    ).json()
    assert body["no_evidence"] is True
    assert body["citations"] == []
