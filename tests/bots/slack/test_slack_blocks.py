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
from tests.bots.answers_factory import (
    HOSTILE,
    bottom_line,
    citation,
    every_part,
    extractive,
    no_evidence,
    prose,
    related,
    section,
)
from tests.bots.slack.block_checks import block_problems, texts_of
from tests.bots.slack.harness import buttons


def test_each_bottom_line_shows_title_verdict_rating_strength_and_the_quoted_finding() -> None:
    response = extractive(
        [
            bottom_line(1, title="Doc one", finding="Crime fell by 21%."),
            bottom_line(2, title="Doc two", verdict="harmful", rating_source=None, finding="It **backfired**."),
            bottom_line(3, title="A guide", kind="guide", verdict="not-rated", strength=None, rating_source="PSC"),
        ],
        [
            citation(1, title="Doc one"),
            citation(2, title="Doc two", verdict="harmful", rating_source=None, url=None),
            citation(3, document_id="doc-3", title="A guide", verdict="not-rated", rating_source="PSC"),
        ],
    )
    [message] = answer_messages(response, question="does it work?")
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]

    assert sections[:3] == [
        "*Doc one*  :white_check_mark: What works · CrimeSolutions · 3 randomised trials\n> “Crime fell by 21%.” [1]",
        "*Doc two*  :warning: Harmful · 3 randomised trials\n> “It *backfired*.” [2]",
        "*A guide*  PSC\n> “Finding 3.” [3]",  # a guide has no verdict of its own: no badge
    ]
    shown = texts_of(message.blocks)
    assert "*[1]* <https://example.org/doc-1|Doc one> · :white_check_mark: What works · CrimeSolutions" in shown
    assert "*[2]* Doc two (no link) · :warning: Harmful" in shown, "no URL: said so, and no link is made up"
    assert "Markdown for API users only" not in shown + message.text
    assert "**" not in shown + message.text
    assert set(buttons(message.blocks)) == {SHOW_QUOTES, FEEDBACK_UP, FEEDBACK_DOWN}
    assert message.text.splitlines() == [
        "Doc one (What works): “Crime fell by 21%.” [1]",
        "Doc two (Harmful): “It *backfired*.” [2]",
        "A guide: “Finding 3.” [3]",
    ]
    assert block_problems(message.blocks, MAX_BLOCKS) == []


def test_sections_follow_under_their_label_with_no_verdict_heading() -> None:
    response = extractive(
        [bottom_line(1, title="Doc one")],
        [citation(1, title="Doc one"), citation(2)],
        sections=[section("howto", "Setting it up", [(2, "Train the staff first."), (3, "Then run it weekly.")])],
        intent="howto",
    )
    blocks = answer_messages(response)[0].blocks
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert texts[1] == (
        "*Setting it up*\n• Document 2: “Train the staff first.” [2]\n• Document 3: “Then run it weekly.” [3]"
    )
    assert ":white_check_mark:" in texts[0], "the verdict belongs to the document's own bottom line"
    assert not any(emoji in texts[1] for emoji in (":white_check_mark:", ":warning:", "What works"))


def test_related_documents_are_context_lines_after_the_sections() -> None:
    response = extractive(
        [bottom_line(1, title="Scared Straight", verdict="harmful", finding="Offending rose.")],
        [citation(1, title="Scared Straight", verdict="harmful"), citation(2, title="Functional Family Therapy")],
        sections=[section("effect", "What the evidence shows", [(1, "Offending rose.")])],
        related=[
            related("functional-family-therapy", "Functional Family Therapy", n=2),
            related("mst", "Multisystemic Therapy", kind="practice", verdict="promising", rating_source=None),
            related("guide", "How to read ratings", kind="guide", verdict="not-rated", reason="see-also"),
        ],
    )
    blocks = answer_messages(response)[0].blocks
    contexts = [[e["text"] for e in b["elements"]] for b in blocks if b["type"] == "context"]
    assert contexts[:2] == [
        [
            "*Better-supported alternatives*",
            "Functional Family Therapy · :white_check_mark: What works · CrimeSolutions [2]",
            "Multisystemic Therapy · :seedling: Promising",
        ],
        ["*Also in the evidence base*", "How to read ratings · CrimeSolutions"],  # a guide shows no verdict
    ]
    kinds = [b["type"] for b in blocks]
    assert kinds.index("context") == 2, "bottom line, section, then the related documents"


def test_a_written_answer_shows_its_prose_after_the_bottom_lines() -> None:
    response = prose(
        ["Lighting **reduces** crime [1].", "See [the review](https://example.org/r) <!here>."],
        [citation(1, title="Street lighting")],
        summary=[bottom_line(1, title="Street lighting")],
    )
    texts = [b["text"]["text"] for b in answer_messages(response)[0].blocks if b["type"] == "section"]
    assert texts[0].startswith("*Street lighting*  :white_check_mark: What works")
    assert texts[1] == ("Lighting *reduces* crime [1].\n\nSee the review (https://example.org/r) &lt;!here&gt;.")
    assert "Markdown for API users only" not in "".join(texts)


def test_an_answer_with_only_citations_still_shows_its_quotes() -> None:
    response = extractive([], [citation(1, quote="Lighting cut crime.")])
    [message] = answer_messages(response)
    assert "• Document 1: “Lighting cut crime.” [1]" in texts_of(message.blocks)
    assert message.text == "Document 1: “Lighting cut crime.” [1]"


def test_citations_of_one_document_share_a_source_line() -> None:
    response = extractive([bottom_line(1)], [citation(1), citation(2, document_id="doc-1")])
    shown = texts_of(answer_messages(response)[0].blocks)
    assert "*[1, 2]* <https://example.org/doc-1|Document 1>" in shown
    assert "Document 2" not in shown


def test_slash_command_answer_has_a_share_button() -> None:
    response = extractive([bottom_line(1)], [citation(1)])
    assert SHARE in buttons(answer_messages(response, ephemeral=True)[0].blocks)


def test_buttons_carry_the_answer_and_the_searched_question() -> None:
    response = extractive([bottom_line(1)], [citation(1)], standalone_question="q" * 5000)
    value = buttons(answer_messages(response)[0].blocks)[FEEDBACK_UP]["value"]
    assert len(value) <= 2000
    assert parse_action_value(value).question_id == "q-123"
    assert parse_action_value(value).question == "q" * 1500


def test_a_follow_up_says_what_was_searched() -> None:
    response = extractive([bottom_line(1)], [citation(1)], standalone_question="youth violence and for girls?")
    assert "Searched for: youth violence and for girls?" in texts_of(
        answer_messages(response, question="and for girls?")[0].blocks
    )
    assert "Searched for" not in texts_of(answer_messages(response, question="Youth violence and for girls")[0].blocks)


def test_hostile_text_in_every_field_is_escaped() -> None:
    everywhere = {"title": HOSTILE, "rating_source": HOSTILE}
    item = {"n": 1, "document_id": "doc-1", "title": HOSTILE, "text": HOSTILE}
    extracted = extractive(
        [bottom_line(1, **everywhere, strength=HOSTILE, finding=HOSTILE)],
        [citation(1, **everywhere, quote=HOSTILE, section=HOSTILE, url="https://x.example/a>b|c")],
        sections=[{"intent": "howto", "label": HOSTILE, "items": [item]}],
        related=[related("r", HOSTILE, rating_source=HOSTILE)],
        standalone_question=HOSTILE,
    )
    written = prose([HOSTILE], [], summary=[bottom_line(1, **everywhere)])
    payloads = [quotes_view(extracted)]
    texts = []
    for response in (extracted, written):
        for message in answer_messages(response, question="q", ephemeral=True):
            payloads.append(message.blocks)
            texts.append(message.text)
    # Everything Slack renders (button values are opaque data, never shown).
    dumped = texts_of(payloads) + "\n".join(texts)
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


def test_huge_bottom_lines_and_sections_stay_within_slacks_limits() -> None:
    long = "a very long finding " * 400  # 8,000 characters
    summary = [bottom_line(n, finding=f"Start {n} {long} end {n}") for n in range(1, 61)]
    items = [(n, f"Doc {n} " + "a very long quote " * 120) for n in range(61, 90)]
    response = extractive(summary, [citation(n) for n in range(1, 90)], sections=[section("cost", "Cost", items)])
    messages = answer_messages(response)
    assert len(messages) >= 2
    for message in messages:
        assert block_problems(message.blocks, MAX_BLOCKS) == []
        assert len(message.text) <= 3000
    shown = "\n".join(texts_of(m.blocks) for m in messages)
    assert "end 60” [60]" in shown
    assert "[89]" in shown
    quoted = [b["text"]["text"] for m in messages for b in m.blocks if "a very long finding" in str(b)]
    assert all(text.startswith(("*Document", "> ")) for text in quoted), "every piece of a finding stays quoted"


def test_paginate_keeps_a_slot_for_the_thanks() -> None:
    pages = paginate([{"type": "divider"}] * 120, [{"type": "divider", "block_id": "tail"}])
    assert [len(p) for p in pages] == [50, 50, 21]
    assert pages[-1][-1]["block_id"] == "tail"
    assert len(paginate([{"type": "divider"}] * 48, [{"type": "divider"}])[-1]) == 49
    assert [len(p) for p in paginate([{"type": "divider"}] * 49, [{"type": "divider"}])] == [49, 1]


def test_no_evidence_offers_topic_buttons() -> None:
    response = no_evidence(
        "The evidence base does not cover this question. <!here>",
        [
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
    assert message.text == "The evidence base does not cover this question. &lt;!here&gt;"
    assert block_problems(message.blocks, MAX_BLOCKS) == []


def test_thanks_names_every_voter_once_under_the_buttons() -> None:
    blocks = answer_messages(extractive([bottom_line(1)], [citation(1)]))[0].blocks
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
        "elements": [{"type": "mrkdwn", "text": "<@U0ALICE01> shared: “does &lt;b&gt; work?”", "verbatim": True}],
    }
    assert byline("!channel", "shared", "q") is None


def test_quotes_view_stays_within_a_modals_limits() -> None:
    response = extractive(
        [bottom_line(1)], [citation(n, quote="a long passage. " * 400, page=n, url=None) for n in range(1, 60)]
    )
    view = quotes_view(response)
    assert block_problems(view["blocks"], 100) == []
    assert len(view["title"]["text"]) <= 24
    assert "more passages not shown" in texts_of(view["blocks"])
    assert "*[1]* Document 1 (no link)" in texts_of(view["blocks"])


def test_a_guide_cited_shows_no_verdict_and_a_french_quotes_window_is_french() -> None:
    guide = citation(2, kind="guide", verdict="not-rated", rating_source=None)
    response = extractive([bottom_line(1)], [citation(1), guide])
    shown = texts_of(answer_messages(response, ephemeral=True)[0].blocks)
    assert "*[2]* <https://example.org/doc-2|Document 2>" in shown
    assert "Document 2> · " not in shown  # no "Not yet rated by our curators" for a guide
    english = texts_of(quotes_view(response)["blocks"])
    assert "Not yet rated" not in english
    assert "What works" in english

    french = quotes_view(response.model_copy(update={"language": "fr"}))
    assert french["title"]["text"] == "Passages cités"
    assert french["close"]["text"] == "Fermer"
    shown_fr = texts_of(french["blocks"])
    assert "Efficace" in shown_fr
    assert "(en anglais)" in shown_fr
    assert "What works" not in shown_fr
    assert "Pas encore évalué" not in shown_fr


def test_a_french_answer_has_a_french_frame_and_marks_english_quotes() -> None:
    response = every_part(language="fr")
    response.summary[1] = response.summary[1].model_copy(
        update={"finding": "Les jeunes parrainés ont moins récidivé.", "language": "fr"}
    )
    message = answer_messages(response, ephemeral=True)[0]
    shown = texts_of(message.blocks)
    assert ":warning: Néfaste" in shown
    assert "What works" not in shown
    assert "*Mise en œuvre*" in shown  # the section's heading by its intent, not its English label
    assert "“Participants offended *more* than controls.” [1] (en anglais)" in shown
    assert "“Les jeunes parrainés ont moins récidivé.” [2]" in shown
    assert "“Les jeunes parrainés ont moins récidivé.” [2] (en anglais)" not in shown
    assert "Solutions mieux appuyées" in shown
    assert "(pas de lien)" in shown
    labels = [b["text"]["text"] for b in buttons(message.blocks).values()]
    assert labels == ["Voir les citations", "👍 Utile", "👎 Pas utile", "Partager dans le canal"]
    assert block_problems(message.blocks, MAX_BLOCKS) == []
