"""The curators' console in Chromium: signing in, gaps grouped and marked, feedback with the answer
as the member saw it, the query log filtered and exported, documents and a failed ingestion's error.

The console runs on the real API over a query log of its own (a fresh SQLite file beside the shared
index), filled by asking real questions over HTTP, so every row shown came through the real path.
Screenshots go to artifacts/console/.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect
from typer.testing import CliRunner

from assistant.api.app import create_app
from assistant.api.console_auth import SESSION_COOKIE, ConsoleSessions
from assistant.core.access import key_digest
from assistant.core.records import RecordStore
from assistant.core.service import EvidenceService
from assistant.core.settings import Settings
from tests.conftest import serve_app

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "artifacts" / "console"
KEY = "wwc_console-test-key-0123456789abcdefghijklmnopq"
OTHER_KEY = "wwc_another-curator-key-0123456789abcdefghijklm"

# Unanswerable on purpose: municipal questions outside crime prevention, two topics and a stray one.
SNOW = [
    "How should we budget for snow removal on residential streets?",
    "What is a sensible snow removal budget for residential streets?",
    "Comment budgéter le déneigement des rues résidentielles?",
]
DOGS = [
    "What bylaws do other towns use for off-leash dog parks?",
    "Which rules should an off-leash dog park bylaw include?",
]
STRAY = "What are good opening hours for a public library branch?"
ANSWERED = "Does CCTV reduce crime in car parks?"
FRENCH_ANSWERED = "Les caméras de surveillance réduisent-elles la criminalité?"


@dataclass
class Console:
    url: str
    app: FastAPI
    settings: Settings
    service: EvidenceService
    answered: dict[str, Any]


@pytest.fixture(scope="module")
def console(live_settings: Settings, embedder, live_service: EvidenceService, tmp_path_factory) -> Iterator[Console]:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("console")
    settings = live_settings.model_copy(deep=True)
    settings.data_dir = data
    settings.database_url = f"sqlite:///{data / 'console.sqlite3'}"
    settings.api.curator_keys = {"alice": key_digest(KEY), "bob": key_digest(OTHER_KEY)}
    records = RecordStore(settings.sql_url)
    service = EvidenceService(
        settings, embedder, live_service.store_source, records, multilingual=live_service.multilingual
    )
    service.refresh(force=True)
    app = create_app(settings, embedder, service=service)
    with serve_app(app) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            for question in [*SNOW, *DOGS, STRAY]:
                reply = client.post("/v1/ask", json={"question": question}, headers={"X-Whatworks-Face": "slack"})
                assert reply.json()["no_evidence"], f"seeding needs an unanswered question: {question}"
                time.sleep(0.01)  # distinct times: the newest example is well defined
            answered = client.post("/v1/ask", json={"question": ANSWERED}, headers={"X-Whatworks-Face": "widget"})
            assert not answered.json()["no_evidence"]
            french = client.post("/v1/ask", json={"question": FRENCH_ANSWERED})
            assert french.json()["language"] == "fr"
            session = client.post("/v1/sessions").json()["session"]
            vote = {"question_id": answered.json()["question_id"], "rating": "down", "session": session}
            vote["comment"] = "We asked about car parks; the answer wandered to town centres."
            assert client.post("/v1/feedback", json=vote).status_code == 201
        yield Console(url, app, settings, service, answered.json())
    records.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context
    context.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, url: str, key: str = KEY, path: str = "/console/gaps") -> None:
    page.goto(url + path)
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    page.get_by_label("Curator key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_with_a_curator_key_gives_a_strict_http_only_cookie(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    _sign_in(page, console.url, key="wwc_not-a-key")
    expect(page.get_by_role("alert")).to_have_text("That key is wrong or has been revoked.")
    _shot(page, "01-sign-in-wrong-key")
    page.get_by_label("Curator key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{console.url}/console/gaps")
    expect(page.get_by_text("Signed in as")).to_contain_text("alice")
    cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"]
    assert cookie["secure"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/console"
    assert KEY not in cookie["value"]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.goto(console.url + "/console/queries")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next=%2Fconsole%2Fqueries"))


def test_gaps_are_grouped_by_meaning_and_a_group_is_marked(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    _sign_in(page, console.url)
    groups = page.locator("li.group")
    heads = [h.strip() for h in groups.locator("h2").all_inner_texts()]
    print("\n".join(heads))
    # the three snow-removal questions (two English, one French) are one group, the newest shown
    snow = groups.filter(has_text="3 questions")
    expect(snow).to_have_count(1)
    expect(snow.locator("h2 q")).to_have_text(SNOW[-1])
    expect(snow.locator(".languages")).to_have_text("en, fr")
    expect(snow.locator(".topics")).not_to_have_text("—")  # the nearest topics the members were offered
    snow.get_by_text("All questions of this group").click()
    expect(snow.locator(".examples q")).to_have_text(list(reversed(SNOW)))
    dogs = groups.filter(has_text="2 questions")
    expect(dogs).to_have_count(1)
    expect(dogs.locator("h2 q")).to_have_text(DOGS[-1])
    expect(groups.filter(has_text=STRAY)).to_have_count(1)
    expect(groups).to_have_count(3)
    _shot(page, "02-gaps-grouped")

    snow.get_by_role("button", name="Out of scope").click()
    expect(page.get_by_role("status")).to_contain_text("3 questions marked as out of scope")
    expect(page.locator("li.group")).to_have_count(2)
    review = yaml.safe_load((console.settings.data_dir / "out-of-scope-review.yaml").read_text(encoding="utf-8"))
    assert sorted(e["question"] for e in review["out_of_scope"]) == sorted(SNOW)
    assert {e["marked_by"] for e in review["out_of_scope"]} == {"alice"}
    page.locator("li.group").filter(has_text="2 questions").get_by_role("button", name="Added to the base").click()
    expect(page.get_by_role("status")).to_contain_text("2 questions marked as added to the base")
    expect(page.locator("li.group")).to_have_count(1)
    _shot(page, "03-gaps-after-marking")


def test_feedback_shows_the_answer_as_the_member_saw_it(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    _sign_in(page, console.url, path="/console/feedback")
    page.get_by_label("Rating", exact=True).select_option("down")
    page.get_by_role("button", name="Filter").click()
    vote = page.locator("article.vote")
    expect(vote).to_have_count(1)
    expect(vote.locator("h2")).to_contain_text(ANSWERED)
    expect(vote.locator(".comment")).to_contain_text("the answer wandered to town centres")
    titles = {c["title"] for c in console.answered["citations"]}
    for title in titles:
        expect(vote.locator(".cited")).to_contain_text(title)
    vote.get_by_text("The answer as the member saw it").click()
    shown = vote.locator(".answer").inner_text()
    assert shown.strip() == console.answered["answer"].strip()
    _shot(page, "04-feedback-down-with-answer")
    page.get_by_label("Rating", exact=True).select_option("up")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No feedback matches.")).to_be_visible()


def test_query_log_filters_and_exports_the_view_as_csv(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    _sign_in(page, console.url, path="/console/queries")
    rows = page.locator("table.log tbody tr")
    expect(rows).to_have_count(len(SNOW) + len(DOGS) + 3)
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)  # one French gap, one French answer
    page.get_by_label("Answered", exact=True).select_option("yes")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".question")).to_have_text(FRENCH_ANSWERED)
    _shot(page, "05-query-log-filtered")
    page.goto(console.url + "/console/queries?q=dog+park")
    expect(rows).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export this view as CSV").click()
    exported = download.value
    assert re.fullmatch(r"whatworks-query-log-\d{4}-\d\d-\d\d\.csv", exported.suggested_filename)
    text = Path(exported.path()).read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["question"] for r in table) == sorted(DOGS)
    assert {r["answered"] for r in table} == {"False"}


def test_documents_inventory_and_a_failed_ingestion(
    console: Console, context: BrowserContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.cli import app as ingest_cli

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "broken-report.pdf").write_bytes(b"%PDF-1.7\nthis is not a PDF body\n")
    (folder / "note.md").write_text(
        "---\nid: a-note\ntitle: A note\nkind: guide\nverdict: not-rated\n---\n\n# A note\n\nSome text.\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("WHATWORKS_DATA_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("WHATWORKS_DATABASE_URL", console.settings.sql_url)
    run = CliRunner().invoke(ingest_cli, [str(folder)])
    assert run.exit_code == 1, run.output

    page = context.new_page()
    _sign_in(page, console.url, path="/console/documents")
    failed = page.locator("table.runs tr.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".errors li")).to_contain_text("broken-report.pdf")
    expect(failed).to_contain_text("1 added")
    inventory = page.locator("table.inventory tbody tr")
    assert inventory.count() >= 60
    cctv = page.locator('table.inventory tr[data-document="cctv"]')
    # cited by the English answer (voted down) and the French one (no vote)
    expect(cctv.locator("td.num").nth(1)).to_have_text("2")
    expect(cctv.locator("td.num").nth(2)).to_have_text("100% (1)")
    expect(page.locator('tr[data-document="scared-straight"] .verdict')).to_have_text("harmful")
    _shot(page, "06-documents-and-runs")


def test_the_console_in_french(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(console.url + "/console/sign-in?lang=fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Clé de curateur").fill(KEY)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lacunes de la base")
    expect(page.get_by_role("navigation")).to_contain_text("Journal des questions")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence gaps")
    _shot(page, "07-console-english-again")


# -- without a browser: what every caller gets, CSRF and expired sessions ---------------------


def _cookie(console: Console, name: str, hours: float = 1.0, now: float | None = None) -> dict[str, str]:
    sessions: ConsoleSessions = console.app.state.console_sessions
    return {SESSION_COOKIE: sessions.issue(name, console.settings.api.curator_keys[name], hours, now)}


def _csrf(console: Console, cookies: dict[str, str]) -> str:
    sessions: ConsoleSessions = console.app.state.console_sessions
    session = sessions.read(cookies[SESSION_COOKIE], console.settings.api.curator_keys)
    assert session is not None
    return sessions.csrf_token(session)


def test_every_console_route_by_every_caller(console: Console) -> None:
    callers: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "anonymous": ({}, {}),
        "forged origin": ({"Origin": console.url}, {}),
        "public key": ({"X-API-Key": "anything"}, {}),
        "curator key": ({"Authorization": f"Bearer {KEY}"}, {}),
        "session": ({}, _cookie(console, "alice")),
        "expired session": ({}, _cookie(console, "alice", hours=1, now=time.time() - 7200)),
        "forged session": ({}, {SESSION_COOKIE: "eyJuIjoiYWxpY2UifQ.0000"}),
    }
    routes = ["/console/gaps", "/console/feedback", "/console/queries", "/console/documents", "/console/queries.csv"]
    table = {}
    with httpx.Client(base_url=console.url, timeout=60, follow_redirects=False) as client:
        for route in routes:
            row = []
            for headers, cookies in callers.values():
                client.cookies.clear()
                response = client.get(route, headers=headers, cookies=cookies)
                row.append(response.status_code)
                if response.status_code == 303:
                    assert response.headers["location"].startswith("/console/sign-in?next=")
            table[route] = row
        client.cookies.clear()
        expired = client.get("/console/gaps", cookies=callers["expired session"][1])
        assert "reason=expired" in expired.headers["location"]
    print("\n" + "\n".join(f"{route:24} {row}" for route, row in table.items()))
    assert all(row == [303, 303, 303, 200, 200, 303, 303] for row in table.values()), table


def test_removing_a_curators_key_ends_their_sessions(console: Console) -> None:
    cookies = _cookie(console, "bob")
    with httpx.Client(base_url=console.url, timeout=60, follow_redirects=False) as client:
        assert client.get("/console/queries", cookies=cookies).status_code == 200
        keys = console.settings.api.curator_keys
        console.settings.api.curator_keys = {"alice": keys["alice"]}
        try:
            client.cookies.clear()
            assert client.get("/console/queries", cookies=cookies).status_code == 303
        finally:
            console.settings.api.curator_keys = keys


def test_a_state_changing_request_needs_its_csrf_token_and_our_origin(console: Console) -> None:
    gaps = console.service.records.open_gaps()
    stray = next(g for g in gaps if g["question"] == STRAY)
    cookies = _cookie(console, "alice")
    form = {"ids": stray["id"], "status": "added"}
    with httpx.Client(base_url=console.url, timeout=60, follow_redirects=False) as client:
        for extra, headers in [
            ({}, {}),  # no token
            ({"csrf": "0" * 40}, {}),  # a wrong token
            ({"csrf": _csrf(console, cookies)}, {"Origin": "https://evil.example"}),  # another site's page
        ]:
            client.cookies.clear()
            response = client.post("/console/gaps", data=form | extra, headers=headers, cookies=cookies)
            assert response.status_code == 303
            assert response.headers["location"] == "/console/gaps?done=stale"
            assert stray["id"] in {g["id"] for g in console.service.records.open_gaps()}
        # a curator key is for reading by scripts: marking takes a signed-in session
        client.cookies.clear()
        bearer = client.post("/console/gaps", data=form, headers={"Authorization": f"Bearer {KEY}"})
        assert bearer.headers["location"] == "/console/gaps?done=stale"


def test_the_console_is_off_without_curator_keys(live_settings: Settings, embedder, live_service) -> None:  # type: ignore[no-untyped-def]
    settings = live_settings.model_copy(deep=True)
    with serve_app(create_app(settings, embedder, service=live_service)) as url:
        for path in ("/console/gaps", "/console/sign-in"):
            response = httpx.get(url + path, timeout=30, follow_redirects=False)
            assert response.status_code == 403
            assert "no curator key is configured" in response.text
