"""Keyboard-only use, ARIA, WCAG AA contrast, a 360-px phone, 200% zoom, and Shadow DOM isolation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.bots.answers_factory import every_part, stream_body

pytestmark = pytest.mark.slow

QUESTION = "Is CCTV effective?"

# For each element: its text colour and the first opaque background behind it (in the shadow tree).
COLOURS = """
const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const background = (el) => {
  for (let node = el; node && node.nodeType === 1; node = node.parentNode || node.host) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg.length === 3 || (bg.length === 4 && bg[3] === 1)) return bg.slice(0, 3);
    if (node.parentNode instanceof ShadowRoot) node = node.parentNode;
  }
  return [255, 255, 255];
};
return arg.flatMap((selector) => [...root.querySelectorAll(selector)].filter((el) => el.getClientRects().length)
  .map((el) => ({selector, text: el.textContent.trim().slice(0, 40), fg: parse(getComputedStyle(el).color).slice(0, 3),
                 bg: background(el)})));
"""
TEXT_SELECTORS = [
    ".ww-launcher",
    ".ww-header h2",
    ".ww-subtitle",
    ".ww-tool",
    ".ww-welcome",
    ".ww-question",
    ".ww-status",
    ".ww-answer li",
    ".ww-answer p",
    ".ww-bl-title",
    ".ww-bl-meta small",
    ".ww-bl-finding p",
    ".ww-section-h",
    ".ww-item-title",
    ".ww-related-h",
    ".ww-related-open",
    ".ww-related-item .ww-rating",
    ".ww-nolink",
    ".ww-cite",
    ".ww-sources summary",
    ".ww-source-title",
    ".ww-source-n",
    ".ww-rating",
    ".ww-badge",
    ".ww-quote p",
    ".ww-quote footer",
    ".ww-linkbtn",
    ".ww-external",
    ".ww-fb-q",
    ".ww-fb-status",
    ".ww-note-title",
    ".ww-topics p",
    ".ww-topic",
    ".ww-error p",
    ".ww-retry",
    ".ww-send",
    ".ww-input",
]


def luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratios_meet_wcag_aa(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    widget.open()
    samples = widget.shadow(COLOURS, [".ww-welcome"])
    widget.ask("How do I bake sourdough bread?")  # a no-evidence answer, with topics
    expect(widget.answer()).to_have_class(re.compile("ww-msg--no-evidence"))

    held: list[Route] = []
    widget.page.route("**/v1/ask/stream", lambda route: held.append(route))
    widget.ask(QUESTION)
    expect(widget.replies.last.locator(".ww-status")).to_be_visible()
    samples += widget.shadow(COLOURS, [".ww-status"])
    held[0].continue_()
    widget.page.unroute("**/v1/ask/stream")
    answered = widget.answer()
    answered.locator(".ww-sources summary").click()
    answered.get_by_role("button", name="Helpful", exact=True).click()
    expect(answered.locator(".ww-fb-status")).to_be_visible()

    # An answer with every part (bottom lines, a section, an alternative, a source with no link).
    widget.page.route(
        "**/v1/ask/stream",
        lambda route: route.fulfill(status=200, content_type="text/event-stream", body=stream_body(every_part())),
    )
    widget.ask("Does Scared Straight work?")
    widget.answer().locator(".ww-sources summary").click()
    widget.page.unroute("**/v1/ask/stream")

    widget.page.route("**/v1/ask/stream", lambda route: route.abort("connectionrefused"))
    widget.ask(QUESTION)  # an error message with its retry button
    expect(widget.answer()).to_have_attribute("data-state", "error")
    # a badge of each verdict, styled by the widget's own stylesheet
    widget.shadow(
        "const meta = root.querySelector('.ww-source-meta');"
        "for (const v of ['effective','promising','mixed','no-effect','harmful','not-rated']) {"
        "  const b = document.createElement('span'); b.className = 'ww-badge ww-badge--' + v; b.textContent = v;"
        "  meta.append(b); }"
    )
    samples += widget.shadow(COLOURS, TEXT_SELECTORS)
    widget.shot("18-contrast-states")

    checked = {s["selector"] for s in samples}
    assert checked == set(TEXT_SELECTORS), f"not measured: {set(TEXT_SELECTORS) - checked}"
    assert sum(s["selector"] == ".ww-badge" for s in samples) >= 6
    failures = [(s["selector"], s["text"], round(contrast(s["fg"], s["bg"]), 2)) for s in samples]
    failures = [f for f in failures if f[2] < 4.5]
    assert failures == [], f"below the WCAG AA 4.5:1 for text: {failures}"

    # The focus ring (non-text, 3:1) against the panel, a card and the header.
    focus = widget.shadow("return getComputedStyle(root.querySelector('.ww-root')).getPropertyValue('--ww-focus');")
    ring = [int(focus.strip()[i : i + 2], 16) for i in (1, 3, 5)]
    for surface in ([255, 255, 255], [246, 248, 250], [251, 252, 253]):
        assert contrast(ring, surface) >= 3
    placeholder = widget.shadow("return getComputedStyle(root.querySelector('.ww-input'), '::placeholder').color;")
    rgb = [float(x) for x in placeholder[placeholder.index("(") + 1 : placeholder.index(")")].split(",")[:3]]
    assert contrast(rgb, [255, 255, 255]) >= 4.5


def test_keyboard_only(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    page = widget.page

    # The launcher is the last stop in the page's tab order.
    page.keyboard.press("Shift+Tab")
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.input).to_be_focused()

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    expect(widget.input).to_be_focused()
    expect(widget.input).to_have_value("")

    # Back through the answer to the feedback: 👎, a comment, send.
    page.keyboard.press("Shift+Tab")
    expect(reply.get_by_role("button", name="Not helpful")).to_be_focused()
    page.keyboard.press("Enter")
    comment = reply.get_by_role("textbox", name="What was missing or wrong? (optional)")
    expect(comment).to_be_focused()
    page.keyboard.type("More on costs")
    page.keyboard.press("Tab")
    expect(reply.get_by_role("button", name="Send feedback")).to_be_focused()
    page.keyboard.press("Enter")
    expect(reply.locator(".ww-fb-status")).to_have_text("Thank you for your feedback.")
    expect(reply.locator(".ww-fb-status")).to_be_focused()
    widget.shot("19-keyboard-feedback")
    qid = reply.get_attribute("data-question-id")
    assert [(f["rating"], f["comment"]) for f in live_server.app.state.service.feedback_for(qid)] == [
        ("down", "More on costs")
    ]

    # Further back to a citation marker; Enter takes the focus to its source.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if "ww-cite" in widget.focused()["cls"]:
            break
    else:
        pytest.fail("no citation marker in the tab order")
    number = widget.focused()["text"].strip("[]")
    page.keyboard.press("Enter")
    card = reply.locator(f".ww-source[data-n='{number}']")
    expect(card).to_be_focused()
    expect(card).to_be_in_viewport()
    widget.shot("20-keyboard-citation")

    # Escape closes the panel and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    expect(widget.replies).to_have_count(1)  # the conversation is still there


def test_roles_and_labels(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    page = widget.page
    launcher = page.get_by_role("button", name="Ask what works")
    expect(launcher).to_have_attribute("aria-controls", "ww-panel")
    launcher.click()
    dialog = page.get_by_role("dialog", name="What works")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("region", name="Conversation")).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Your question")).to_be_visible()
    expect(dialog.get_by_role("button", name="Send")).to_be_visible()
    expect(dialog.get_by_role("button", name="New conversation")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close the assistant")).to_be_visible()
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply.get_by_role("group", name="Was this answer helpful?")).to_be_visible()
    expect(reply.get_by_role("link", name="Source 1: CCTV", exact=False).first).to_be_visible()
    live = page.locator('whatworks-chat [aria-live="polite"]')
    expect(live).to_have_count(1)
    # The bottom lines, read out once: each title with its verdict in words, then its finding.
    expect(live).to_contain_text(
        re.compile(r"Answer ready\. CCTV \(closed-circuit television cameras\) \(What works\): ")
    )
    # The log itself is not live: the answer is announced once, complete, not piece by piece.
    assert page.locator("whatworks-chat .ww-log[aria-live]").count() == 0
    dialog.get_by_role("button", name="Close the assistant").click()
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()


def _assert_fits(widget: Any, width: int, height: int) -> None:
    box = widget.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": width, "height": height}, box
    overflow = widget.shadow(
        "const out = []; const W = document.documentElement.clientWidth;"
        "for (const el of root.querySelectorAll('.ww-panel *:not(.ww-sr):not(.ww-sr *)')) {"
        "  const r = el.getBoundingClientRect(); if (r.width && (r.left < -0.5 || r.right > W + 0.5))"
        "    out.push(el.className.baseVal ?? el.className); }"
        "for (const el of root.querySelectorAll('.ww-panel, .ww-log, .ww-doc'))"
        "  if (el.scrollWidth > el.clientWidth + 1) out.push('scrolls sideways: ' + el.className);"
        "return out;"
    )
    assert overflow == []
    expect(widget.panel.locator(".ww-header")).to_be_in_viewport()
    expect(widget.panel.locator(".ww-send")).to_be_in_viewport(ratio=1)
    expect(widget.input).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize(
    ("name", "viewport", "scale"),
    [
        ("phone-360", {"width": 360, "height": 740}, 1),
        # A 1280×800 window at 200% zoom lays out in 640×400 CSS pixels, each drawn twice as large.
        ("zoom-200", {"width": 640, "height": 400}, 2),
    ],
)
def test_small_screens(
    live_server: Any, open_page: Callable[..., Any], name: str, viewport: dict[str, int], scale: int
) -> None:
    widget = open_page(f"{live_server.url}/", viewport=viewport, device_scale_factor=scale, has_touch=True)
    expect(widget.launcher).to_be_in_viewport(ratio=1)
    widget.shot(f"21-{name}-closed")
    widget.open()
    expect(widget.launcher).to_be_hidden()  # the panel fills the screen and has its own close button
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    reply.locator(".ww-sources summary").click()
    _assert_fits(widget, viewport["width"], viewport["height"])
    font = widget.shadow("return getComputedStyle(root.querySelector('.ww-answer')).fontSize;")
    assert font == "15px"
    widget.shot(f"22-{name}-answer")
    reply.get_by_role("button", name="Read the evidence summary").first.click()
    expect(widget.page.locator("whatworks-chat .ww-doc h3")).to_be_visible()
    assert widget.shadow("const d = root.querySelector('.ww-doc'); return d.scrollWidth <= d.clientWidth;")
    widget.shot(f"23-{name}-document")
    widget.page.keyboard.press("Escape")
    widget.page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()


def test_host_page_css_and_widget_css_do_not_meet(live_server: Any, open_page: Callable[..., Any]) -> None:
    """The demo page's blunt CSS (serif everywhere, red buttons, 200px svgs) stays on its side."""
    widget = open_page(f"{live_server.url}/")
    widget.open()
    style = widget.shadow(
        "const s = (q) => getComputedStyle(root.querySelector(q));"
        "return {sendBg: s('.ww-send').backgroundColor, sendFont: s('.ww-send').fontFamily,"
        " inputSize: s('.ww-input').fontSize, icon: s('.ww-icon').width, panelBorder: s('.ww-panel').borderTopColor,"
        " welcome: s('.ww-welcome').textTransform, welcomeFont: s('.ww-welcome').fontFamily};"
    )
    assert style["sendBg"] == "rgb(11, 83, 148)"
    assert "Georgia" not in style["sendFont"]
    assert "serif" not in style["sendFont"].replace("sans-serif", "")
    assert "Georgia" not in style["welcomeFont"]
    assert style["inputSize"] == "15px"
    assert style["icon"] == "20px"
    assert style["panelBorder"] != "rgb(255, 0, 255)"
    assert style["welcome"] == "none"

    # and nothing of the widget's CSS reaches the page: its own button and text keep the page's look
    host = widget.page.evaluate(
        "(() => { const probe = document.createElement('button'); probe.className = 'ww-launcher ww-send';"
        " document.body.append(probe); const s = getComputedStyle(probe);"
        " const b = getComputedStyle(document.getElementById('host-button'));"
        " return {probePosition: s.position, probeBg: s.backgroundColor, hostBg: b.backgroundColor,"
        " hostFont: b.fontFamily}; })()"
    )
    assert (host["probePosition"], host["probeBg"], host["hostBg"]) == ("static", "rgb(255, 0, 0)", "rgb(255, 0, 0)")
    assert "Georgia" in host["hostFont"]


def test_the_widgets_questions_carry_its_signed_session(live_server: Any, open_page: Callable[..., Any]) -> None:
    """The server limits each widget session as well as each address, so the widget names its session."""
    widget = open_page(f"{live_server.url}/")
    with widget.page.expect_response("**/v1/sessions") as issued:
        widget.open()
    session = issued.value.json()["session"]
    with widget.page.expect_request("**/v1/ask/stream") as asked:
        widget.ask(QUESTION)
    assert asked.value.headers.get("x-whatworks-session") == session
    expect(widget.answer()).to_have_attribute("data-state", "done")
    assert live_server.app.state.voters.of_session(session) is not None  # one this server signed
