"""Block Kit payloads from synthetic answers: content, escaping, and Slack's limits."""

from __future__ import annotations

from bots.slack.blocks import (
    ANSWER_ACTIONS_BLOCK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    SHARE,
    SHOW_QUOTES,
    answer_messages,
    byline,
    paginate,
    parse_action_value,
    with_thanks,
)
from bots.slack.views import quotes_view
from tests.bots.slack.answers_factory import HOSTILE, citation, extractive, prose
from tests.bots.slack.block_checks import block_problems, texts_of
from tests.bots.slack.harness import buttons


def test_extractive_answer_shows_each_group_with_its_verdict_and_the_sources() -> None:
    response = extractive(
        {"effective": [(1, "Doc one: “it worked”")], "harmful": [(2, "Doc two: “it backfired”")]},
        [citation(1, title="Doc one"), citation(2, title="Doc two", verdict="harmful", rating_source=None, url=None)],
    )
    [message] = answer_messages(response, question="does it work?")
    shown = texts_of(message.blocks)

    assert "*:white_check_mark: What works*\n• Doc one: “it worked” [1]" in shown
    assert "*:warning: Harmful*\n• Doc two: “it backfired” [2]" in shown
    assert "*[1]* <https://example.org/doc-1|Doc one> · :white_check_mark: What works · CrimeSolutions" in shown
    assert "*[2]* Doc two · :warning: Harmful" in shown
    assert set(buttons(message.blocks)) == {SHOW_QUOTES, FEEDBACK_UP, FEEDBACK_DOWN}
    assert message.text.startswith("*What works*\n- Doc one")
    assert block_problems(message.blocks, MAX_BLOCKS) == []


def test_citations_of_one_document_share_a_source_line() -> None:
    response = extractive({"effective": [(1, "a"), (2, "b")]}, [citation(1), citation(2, document_id="doc-1")])
    shown = texts_of(answer_messages(response)[0].blocks)
    assert "*[1, 2]* <https://example.org/doc-1|Document 1>" in shown
    assert "Document 2" not in shown


def test_slash_command_answer_has_a_share_button() -> None:
    response = extractive({"effective": [(1, "a")]}, [citation(1)])
    assert SHARE in buttons(answer_messages(response, ephemeral=True)[0].blocks)


def test_buttons_carry_the_answer_and_the_searched_question() -> None:
    response = extractive({"effective": [(1, "a")]}, [citation(1)], standalone_question="q" * 5000)
    value = buttons(answer_messages(response)[0].blocks)[FEEDBACK_UP]["value"]
    assert len(value) <= 2000
    assert parse_action_value(value).question_id == "q-123"
    assert parse_action_value(value).question == "q" * 1500


def test_a_follow_up_says_what_was_searched() -> None:
    response = extractive({"effective": [(1, "a")]}, [citation(1)], standalone_question="youth violence and for girls?")
    assert "Searched for: youth violence and for girls?" in texts_of(
        answer_messages(response, question="and for girls?")[0].blocks
    )
    assert "Searched for" not in texts_of(answer_messages(response, question="Youth violence and for girls")[0].blocks)


def test_hostile_text_in_every_field_is_escaped() -> None:
    response = extractive(
        {"effective": [(1, f"{HOSTILE}: “{HOSTILE}”")]},
        [
            citation(
                1, title=HOSTILE, rating_source=HOSTILE, quote=HOSTILE, section=HOSTILE, url="https://x.example/a>b|c"
            )
        ],
        answer=f"**What works**\n- {HOSTILE} [1]",
        standalone_question=HOSTILE,
    )
    payloads = [m.blocks for m in answer_messages(response, question="q", ephemeral=True)] + [quotes_view(response)]
    # Everything Slack renders (button values are opaque data, never shown).
    dumped = texts_of(payloads) + answer_messages(response)[0].text
    for forbidden in ("<!channel>", "<!here>", "<@U0EVIL>", "<https://evil"):
        assert forbidden not in dumped
    assert "&lt;!channel&gt;" in texts_of(payloads)
    assert "<https://x.example/a%3Eb%7Cc|" in texts_of(payloads)


def test_a_long_answer_is_split_into_messages_within_slacks_limits() -> None:
    paragraphs = [f"Paragraph {i} " + "lorem ipsum dolor sit amet, " * 60 for i in range(120)]  # ~200k characters
    response = prose(paragraphs, [citation(n) for n in range(1, 13)])

    messages = answer_messages(response, question="what works?")

    assert len(messages) >= 2
    for message in messages:
        assert block_problems(message.blocks, MAX_BLOCKS) == []
        assert len(message.blocks) <= MAX_BLOCKS
        assert len(message.text) <= 3000
    shown = "\n".join(texts_of(m.blocks) for m in messages)
    positions = [shown.index(f"Paragraph {i} ") for i in range(120)]
    assert positions == sorted(positions), "every paragraph shown, in order"
    assert [i for i, m in enumerate(messages) if any(b.get("block_id") == ANSWER_ACTIONS_BLOCK for b in m.blocks)] == [
        len(messages) - 1
    ], "the buttons close the last message only"
    assert "*[12]*" in texts_of(messages[-1].blocks), "more than 10 sources need a second context block"


def test_one_huge_extractive_group_is_split_into_sections() -> None:
    items = [(n, f"Doc {n}: “" + "a very long quote " * 120 + "”") for n in range(1, 30)]
    response = extractive({"effective": items}, [citation(n) for n in range(1, 30)])
    messages = answer_messages(response)
    assert all(block_problems(m.blocks, MAX_BLOCKS) == [] for m in messages)
    assert "[29]" in "".join(texts_of(m.blocks) for m in messages)


def test_paginate_keeps_a_slot_for_the_thanks() -> None:
    pages = paginate([{"type": "divider"}] * 120, [{"type": "divider", "block_id": "tail"}])
    assert [len(p) for p in pages] == [50, 50, 21]
    assert pages[-1][-1]["block_id"] == "tail"
    assert len(paginate([{"type": "divider"}] * 48, [{"type": "divider"}])[-1]) == 49
    assert [len(p) for p in paginate([{"type": "divider"}] * 49, [{"type": "divider"}])] == [49, 1]


def test_no_evidence_offers_topic_buttons() -> None:
    response = prose(
        ["The evidence base does not cover this question. <!here>"],
        [],
        no_evidence=True,
        nearest_topics=[
            {"document_id": f"t{i}", "title": f"Topic {i} " + "x" * 100, "question": f"What about topic {i}?"}
            for i in range(7)
        ],
    )
    [message] = answer_messages(response)
    topic_buttons = [b for a, b in buttons(message.blocks).items() if a.startswith("whatworks_ask_topic_")]
    assert len(topic_buttons) == 5
    assert topic_buttons[0]["value"] == "What about topic 0?"
    assert SHOW_QUOTES not in buttons(message.blocks)
    assert "&lt;!here&gt;" in texts_of(message.blocks)
    assert block_problems(message.blocks, MAX_BLOCKS) == []


def test_thanks_names_every_voter_once_under_the_buttons() -> None:
    blocks = answer_messages(extractive({"effective": [(1, "a")]}, [citation(1)]))[0].blocks
    once = with_thanks(blocks, "U0ALICE01")
    twice = with_thanks(with_thanks(once, "U0BOB0002"), "U0ALICE01")
    assert "Thanks for your feedback, <@U0ALICE01>!" in texts_of(once)
    assert "Thanks for your feedback, <@U0ALICE01>, <@U0BOB0002>!" in texts_of(twice)
    at = next(i for i, b in enumerate(twice) if b.get("block_id") == ANSWER_ACTIONS_BLOCK)
    assert twice[at + 1]["block_id"] == "whatworks_thanks"
    assert len(twice) == len(blocks) + 1
    assert "<@" not in texts_of(with_thanks(blocks, "<!channel>")), "only real user ids are mentioned"


def test_byline_refuses_what_is_not_a_user_id() -> None:
    assert byline("U0ALICE01", "shared", "does <b> work?") == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "<@U0ALICE01> shared: “does &lt;b&gt; work?”"}],
    }
    assert byline("!channel", "shared", "q") is None


def test_quotes_view_stays_within_a_modals_limits() -> None:
    response = extractive(
        {"effective": [(n, "a") for n in range(1, 60)]},
        [citation(n, quote="a long passage. " * 400, page=n) for n in range(1, 60)],
    )
    view = quotes_view(response)
    assert block_problems(view["blocks"], 100) == []
    assert len(view["title"]["text"]) <= 24
    assert "more passages not shown" in texts_of(view["blocks"])
