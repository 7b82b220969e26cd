"""Block Kit payloads for answers: pure functions from an AskResponse to Slack messages.

What the answer says (bottom lines, sections, related programs, prose) comes from `answer_body`;
this module adds what surrounds it: notes, topic buttons, sources, action buttons, pagination.

Slack's limits shape everything here: 3,000 characters per section, 10 elements per context
block, 75 characters per button label, 50 blocks per message. A long answer is split at clean
boundaries into several sections and, past 50 blocks, into continuation messages; the sources and
buttons always close the last one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from assistant.core.answers import AskResponse, Citation
from bots.slack.answer_body import (
    CONTEXT_ELEMENTS,
    VERDICT_KINDS,
    Block,
    answer_text,
    context,
    evidence_blocks,
    section,
    verdict_badge,
)
from bots.slack.mrkdwn import escape, is_http_url, link, markdown_to_mrkdwn, split_text, truncate

MAX_BLOCKS = 50
BUTTON_LABEL = 75
BUTTON_VALUE = 2000
FALLBACK_TEXT = 3000
MAX_TOPIC_BUTTONS = 5

SHOW_QUOTES = "whatworks_show_quotes"
FEEDBACK_UP = "whatworks_feedback_up"
FEEDBACK_DOWN = "whatworks_feedback_down"
SHARE = "whatworks_share"
ASK_TOPIC = "whatworks_ask_topic"
ANSWER_ACTIONS_BLOCK = "whatworks_answer_actions"
THANKS_BLOCK = "whatworks_thanks"

PLACEHOLDER_TEXT = "Searching the evidence…"
PLACEHOLDER_TEXT_FR = "Recherche dans les données probantes…"

NO_LINK = "no link"
BUTTONS = {
    SHOW_QUOTES: "Show quotes",
    FEEDBACK_UP: "👍 Helpful",
    FEEDBACK_DOWN: "👎 Not helpful",
    SHARE: "Share in channel",
}
BUTTONS_FR = {
    SHOW_QUOTES: "Voir les citations",
    FEEDBACK_UP: "👍 Utile",
    FEEDBACK_DOWN: "👎 Pas utile",
    SHARE: "Partager dans le canal",
}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class SlackMessage:
    """What one chat.postMessage / chat.update / response_url call sends."""

    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class ActionRef:
    """What a button carries: the answer it belongs to and the question as searched (to ask again)."""

    question_id: str
    question: str


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(label, BUTTON_LABEL), "emoji": True},
        "action_id": action_id,
        "value": value[:BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def action_value(response: AskResponse) -> str:
    question = response.standalone_question[:1500]
    return json.dumps({"qid": response.question_id, "q": question}, ensure_ascii=False)


def parse_action_value(value: str) -> ActionRef:
    data = json.loads(value)
    return ActionRef(question_id=str(data["qid"]), question=str(data.get("q", "")))


def placeholder_message(french: bool = False) -> SlackMessage:
    text = PLACEHOLDER_TEXT_FR if french else PLACEHOLDER_TEXT
    return SlackMessage(text, [context(f":mag: {text}")])


def notice_message(text: str, emoji: str = ":warning:") -> SlackMessage:
    """A short notice (API down, bad question): plain text in, escaped; a wait gets an hourglass instead."""
    return SlackMessage(escape(text), [section(f"{emoji} {escape(text)}")])


def byline(user_id: str, verb: str, question: str) -> Block | None:
    """A context line such as `@ann shared: “does CCTV work?”`, for a message posted for someone."""
    if not _USER_ID.match(user_id):
        return None
    asked = f": “{escape(truncate(question, 300))}”" if question else ""
    return context(f"<@{user_id}> {verb}{asked}")


def answer_messages(
    response: AskResponse, *, question: str = "", ephemeral: bool = False, lead: Block | None = None
) -> list[SlackMessage]:
    """The answer as one message, or several when it needs more than 50 blocks.

    Args:
        response: The API's answer.
        question: The question as the user typed it; a follow-up searched differently says so.
        ephemeral: A slash-command answer, which gets a "Share in channel" button.
        lead: A block to open the message with (who shared or asked it).
    """
    body = ([lead] if lead else []) + _body_blocks(response, question)
    tail = _tail_blocks(response, ephemeral)
    text = truncate(answer_text(response), FALLBACK_TEXT)
    return [
        SlackMessage(text if i == 0 else f"{truncate(text, 200)} (continued)", blocks)
        for i, blocks in enumerate(paginate(body, tail))
    ]


def paginate(body: list[Block], tail: list[Block], limit: int = MAX_BLOCKS) -> list[list[Block]]:
    """Split blocks into messages of at most `limit`; `tail` closes the last, which keeps a slot for thanks."""
    last_limit = limit - 1
    if len(tail) > last_limit:
        raise ValueError("the closing blocks alone exceed a message")
    pages: list[list[Block]] = []
    rest = list(body)
    while len(rest) + len(tail) > last_limit:
        pages.append(rest[:limit])
        rest = rest[limit:]
    pages.append(rest + tail)
    return pages


def _body_blocks(response: AskResponse, question: str) -> list[Block]:
    if response.no_evidence:
        return [section(piece) for piece in split_text(markdown_to_mrkdwn(response.answer))] + _topic_blocks(response)
    blocks = evidence_blocks(response)
    notes = []
    if question and _normalised(question) != _normalised(response.standalone_question):
        searched = "Recherché" if response.language == "fr" else "Searched for"
        notes.append(f":mag: {searched}: {escape(truncate(response.standalone_question, 500))}")
    if response.dropped_sentences:
        notes.append(f"{response.dropped_sentences} sentence(s) left out: no source supported them.")
    if notes:
        blocks.append(context(*notes))
    return blocks


def _topic_blocks(response: AskResponse) -> list[Block]:
    topics = response.nearest_topics[:MAX_TOPIC_BUTTONS]
    if not topics:
        return []
    buttons = [button(t.title, f"{ASK_TOPIC}_{i}", t.question) for i, t in enumerate(topics)]
    invite = (
        "Posez une question sur un sujet que la base couvre :"
        if response.language == "fr"
        else "Ask about a topic the evidence base covers:"
    )
    return [context(invite), {"type": "actions", "elements": buttons}]


def _tail_blocks(response: AskResponse, ephemeral: bool) -> list[Block]:
    blocks: list[Block] = []
    french = response.language == "fr"
    if response.citations:
        blocks.append({"type": "divider"})
        blocks += source_context_blocks(response.citations, french)
    value = action_value(response)
    labels = BUTTONS_FR if french else BUTTONS
    buttons = []
    if response.citations:
        buttons.append(button(labels[SHOW_QUOTES], SHOW_QUOTES, value))
    buttons += [button(labels[FEEDBACK_UP], FEEDBACK_UP, value), button(labels[FEEDBACK_DOWN], FEEDBACK_DOWN, value)]
    if ephemeral:
        buttons.append(button(labels[SHARE], SHARE, value, style="primary"))
    blocks.append({"type": "actions", "block_id": ANSWER_ACTIONS_BLOCK, "elements": buttons})
    return blocks


def source_context_blocks(citations: list[Citation], french: bool = False) -> list[Block]:
    """One line per cited document: [n] linked title (or "no link") · verdict · rating source."""
    by_document: dict[str, list[Citation]] = {}
    for c in citations:
        by_document.setdefault(c.document_id, []).append(c)
    lines = []
    for cited in by_document.values():
        first = cited[0]
        numbers = ", ".join(str(c.n) for c in cited)
        title = link(first.url, truncate(first.title, 200))
        if not is_http_url(first.url):
            title += f" ({'pas de lien' if french else NO_LINK})"
        line = f"*[{numbers}]* {title}"
        if first.kind in VERDICT_KINDS:
            line += f" · {verdict_badge(str(first.verdict), french=french)}"
        if first.rating_source:
            line += f" · {escape(truncate(first.rating_source, 300))}"
        lines.append(line)
    return [context(*lines[i : i + CONTEXT_ELEMENTS]) for i in range(0, len(lines), CONTEXT_ELEMENTS)]


def with_thanks(blocks: list[Block], user_id: str) -> list[Block]:
    """The message's blocks with a line thanking this voter (and earlier ones) under the buttons."""
    voters: list[str] = []
    kept: list[Block] = []
    for block in blocks:
        if block.get("block_id") == THANKS_BLOCK:
            voters = re.findall(r"<@([UW][A-Z0-9]+)>", json.dumps(block))
            continue
        kept.append(block)
    if _USER_ID.match(user_id) and user_id not in voters:
        voters.append(user_id)
    names = ", ".join(f"<@{v}>" for v in voters) or "you"
    thanks = {**context(f":pray: Thanks for your feedback, {names}!"), "block_id": THANKS_BLOCK}
    at = next((i + 1 for i, b in enumerate(kept) if b.get("block_id") == ANSWER_ACTIONS_BLOCK), len(kept))
    if len(kept) >= MAX_BLOCKS:
        return kept
    return kept[:at] + [thanks] + kept[at:]


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?!. ")
