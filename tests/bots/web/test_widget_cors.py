"""Embedding from another origin: the CORS allowlist lets listed sites in and no one else.

The session's live server allows no origin, so this module serves a second app, built by the same
factory with the host site's origin in `api.allowed_origins` and sharing the live service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Route, expect

from assistant.api.app import create_app
from tests.bots.web.test_widget_answer import FRENCH_HEADINGS
from tests.conftest import serve_app

pytestmark = pytest.mark.slow

OTHER_ORIGIN = "http://127.0.0.1:9"  # a loopback origin not on the list


@pytest.fixture(scope="module")
def cors_api(live_settings: Any, embedder: Any, live_service: Any, host_site: Any) -> Iterator[str]:
    api = live_settings.api.model_copy(update={"allowed_origins": [host_site.origin]})
    app = create_app(live_settings.model_copy(update={"api": api}), embedder=embedder, service=live_service)
    with serve_app(app) as url:
        yield url


def test_allowlisted_origin_embeds_the_widget_in_french(
    cors_api: str, host_site: Any, live_service: Any, open_page: Callable[..., Any]
) -> None:
    url = host_site.embed("/partenaire.html", cors_api, lang="fr", title="Intranet partenaire")
    widget = open_page(url)
    assert widget.page.evaluate("location.origin") == host_site.origin != cors_api
    expect(widget.launcher).to_have_text("Ce qui fonctionne")
    widget.open()
    expect(widget.input).to_have_attribute(
        "placeholder", "p. ex. Qu’est-ce qui fonctionne contre la violence chez les jeunes?"
    )
    expect(widget.page.get_by_role("dialog", name="Ce qui fonctionne")).to_be_visible()

    held: list[Route] = []
    widget.page.route("**/v1/ask/stream", lambda route: held.append(route))
    widget.ask("Is CCTV effective?")
    expect(widget.replies.last.locator(".ww-status")).to_have_text("Recherche dans les données probantes…")
    held[0].continue_()
    widget.page.unroute("**/v1/ask/stream")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    expect(reply.locator(".ww-sources summary")).to_have_text(re.compile(r"^Sources \(\d+\)$"))
    reply.locator(".ww-sources summary").click()
    badge = reply.locator(".ww-source .ww-badge").first
    expect(badge).to_have_text("Efficace")
    expect(reply.locator(".ww-rating-label").first).to_have_text("Source de l’évaluation :")
    # "Is CCTV effective?" could be either language: the French page's hint makes the answer French,
    # with the document's French title and summary, and every English quote marked as such
    expect(reply.locator(".ww-bl-title").first).to_contain_text("Vidéosurveillance")
    expect(reply.locator(".ww-source .ww-in-english").first).to_have_text("(en anglais)")
    # The widget's own words are French: verdict badges, and section headings chosen by intent.
    expect(reply.locator(".ww-bottomline .ww-badge").first).to_have_text("Efficace")
    assert set(reply.locator(".ww-section-h").all_inner_texts()) <= set(FRENCH_HEADINGS.values())
    widget.shot("24-cross-origin-french")

    # A cross-origin POST with a JSON body (preflighted) reaches the feedback store too.
    reply.get_by_role("button", name="Utile", exact=True).click()
    expect(reply.locator(".ww-fb-status")).to_have_text("Merci de votre commentaire.")
    assert [f["rating"] for f in live_service.feedback_for(reply.get_attribute("data-question-id"))] == ["up"]


def test_only_allowlisted_origins_get_cors_headers(cors_api: str, host_site: Any) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = httpx.options(f"{cors_api}/v1/ask/stream", headers={"Origin": host_site.origin, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == host_site.origin

    refused = httpx.options(f"{cors_api}/v1/ask/stream", headers={"Origin": OTHER_ORIGIN, **preflight})
    assert "access-control-allow-origin" not in refused.headers
    posted = httpx.post(
        f"{cors_api}/v1/ask", json={"question": "Is CCTV effective?"}, headers={"Origin": OTHER_ORIGIN}, timeout=30
    )
    assert posted.status_code == 200  # the server answers; the browser withholds it from the page
    assert "access-control-allow-origin" not in posted.headers
    widget_file = httpx.get(f"{cors_api}/widget/whatworks.js", headers={"Origin": OTHER_ORIGIN})
    assert widget_file.status_code == 200  # a script tag needs no CORS


def test_origin_not_on_the_list_sees_a_clear_message(
    live_server: Any, host_site: Any, open_page: Callable[..., Any]
) -> None:
    """The session's live server lists no origin: the browser blocks the answer, the widget says so."""
    widget = open_page(host_site.embed("/not-listed.html", live_server.url))
    widget.open()
    widget.ask("Is CCTV effective?")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "error")
    expect(reply.locator(".ww-error")).to_contain_text("The assistant cannot be reached.")
    expect(reply.get_by_role("button", name="Try again")).to_be_visible()
    widget.shot("25-cross-origin-not-allowed")
