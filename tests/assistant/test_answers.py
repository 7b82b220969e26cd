"""What a member reads, on the real corpus and model: the program asked about first, its verdict in one
line, the section the question needs, alternatives to a harmful program, clean text, follow-ups."""

from __future__ import annotations

import re

import pytest

from assistant.core.answering.intent import classify
from assistant.core.answering.linking import NameIndex
from assistant.core.answering.planning import library_of, specific_url, top_section
from assistant.core.answers import AskResponse, Message
from assistant.core.evaluation import leaks
from assistant.core.service import EvidenceService


def _ask(service: EvidenceService, question: str, conversation: list[Message] | None = None) -> AskResponse:
    return service.ask(question, conversation, record=False)


def _quoted_sections(response: AskResponse) -> set[str]:
    by_n = {c.n: c for c in response.citations}
    return {top_section(by_n[i.n].section) for s in response.sections for i in s.items}


# -- knowing which program a question is about ---------------------------------------------------


def test_names_are_found_in_any_spelling() -> None:
    index = NameIndex(
        [
            ("dare", "D.A.R.E. (Drug Abuse Resistance Education)", ["DARE"]),
            ("paths", "PATHS curriculum", ["PATHS"]),
            ("scared-straight", "Scared Straight and other juvenile awareness programs", ["Scared Straight"]),
            ("hub", "Hub / Situation Tables (Canada)", ["situation table"]),
        ]
    )
    assert [link.document_id for link in index.find("does dare work in grade 6?")] == ["dare"]
    assert [link.document_id for link in index.find("is D.A.R.E. legit")] == ["dare"]
    assert [link.document_id for link in index.find("scared stright tours for teens")] == ["scared-straight"]
    # an acronym that is also a word counts only in capitals; a country in a title is not a name
    assert index.find("there are many paths to a safer city") == []
    assert NameIndex([("cop", "Community-oriented policing", ["COP"])]).find("cops in schools") == []
    assert [link.document_id for link in index.find("what about PATHS?")] == ["paths"]
    assert index.find("what works in Canada?") == []


def test_a_question_about_a_known_program_is_answered_whatever_other_words_it_uses(
    corpus_service: EvidenceService,
) -> None:
    response = _ask(
        corpus_service,
        "our RCMP detachment and the band council want DARE back in grade 5 - "
        "a couple of councillors love it, is it legit?",
    )
    assert not response.no_evidence
    assert response.summary[0].document_id == "dare"
    assert response.summary[0].verdict == "no-effect"


def test_an_unknown_program_is_still_refused(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "are anti-loitering sound devices that only teens can hear effective?")
    assert response.no_evidence
    assert response.summary == []


def test_a_popular_program_that_does_nothing_is_said_to_do_nothing(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "mayor wants a gun buyback before summer, do buy-backs reduce shootings?")
    first = response.summary[0]
    assert (first.document_id, first.verdict) == ("gun-buy-backs", "no-effect")


# -- bottom line first, ordered by relevance, never by verdict -------------------------------------


def test_the_program_asked_about_leads_with_its_verdict_and_finding(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "a councillor wants to bring back DARE in our grade 6 classes, does it work?")
    first = response.summary[0]
    assert (first.document_id, first.verdict, first.kind) == ("dare", "no-effect", "program")
    assert first.rating_source
    finding = next(c for c in response.citations if c.n == first.n)
    assert top_section(finding.section) in ("summary", "evidence")
    assert finding.quote == first.finding
    # a harmful or null program comes with better-supported alternatives, each with its verdict
    alternatives = [r for r in response.related if r.reason == "alternative"]
    assert alternatives
    assert {r.verdict for r in alternatives} <= {"effective", "promising"}
    assert all(r.n is not None for r in alternatives)
    assert response.answer.startswith("**D.A.R.E.")
    assert len(response.answer.split("**Sources**")[0].split()) <= 170


def test_a_harmful_program_is_never_read_under_another_verdict(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "scared straight style jail tour for at-risk teens - good idea?")
    first = response.summary[0]
    assert (first.document_id, first.verdict) == ("scared-straight", "harmful")
    library = library_of(corpus_service.snapshot())
    # the finding and the supporting quotes of Scared Straight name no other program: the passage that
    # recommends alternatives is shown as alternatives, with their own verdicts
    for text in [first.finding] + [
        i.text for s in response.sections for i in s.items if i.document_id == first.document_id
    ]:
        assert library.mentions(text) <= {"scared-straight"}, text
    assert "functional-family-therapy" in {r.document_id for r in response.related}


def test_a_problem_question_lists_programs_by_relevance(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "what works to stop burglary happening again to the same home?")
    assert response.summary
    assert response.summary[0].document_id == "kirkholt-repeat-victimisation"
    # nothing in the bottom lines is grouped or sorted by verdict
    assert "**What works**" not in response.answer


# -- the intent picks the section -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "intent", "section"),
    [
        ("how much does the nurse family partnership cost per family?", "cost", "cost"),
        ("has restorative justice conferencing been tried in Canada?", "canada", "canadian context"),
        ("how do we set up a situation table in a small town?", "howto", "implementation"),
        ("what ages is the good behavior game for?", "who", "for whom and where it works"),
        ("what is roots of empathy?", "describe", "what it is"),
    ],
)
def test_the_intent_picks_the_section_quoted(
    corpus_service: EvidenceService, question: str, intent: str, section: str
) -> None:
    response = _ask(corpus_service, question)
    assert response.intent == intent
    assert section in _quoted_sections(response), response.answer


def test_a_comparison_gives_each_program_its_bottom_line(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "MST vs FFT for serious young offenders?")
    assert response.intent == "compare"
    assert [b.document_id for b in response.summary[:2]] == ["multisystemic-therapy", "functional-family-therapy"]
    assert {b.verdict for b in response.summary[:2]} == {"mixed", "effective"}


def test_intents_from_plain_wording() -> None:
    assert classify("does it actually work?") == "effect"
    assert classify("how much would it cost us per kid?") == "cost"
    assert classify("what is it exactly?") == "describe"
    assert classify("is it for girls too?") == "who"
    assert classify("our RCMP detachment asks whether it works") == "effect"


# -- clean text and honest links ----------------------------------------------------------------------


def test_cross_references_read_as_titles_and_blanks_are_never_quoted(corpus_service: EvidenceService) -> None:
    ids = set(corpus_service.snapshot().documents())
    for question in (
        "should we fund scared straight?",
        "what does our municipal prevention plan need to contain?",
        "what should a situation table checklist cover?",
        "cost of crime in canada",
    ):
        response = _ask(corpus_service, question)
        assert not leaks(response.answer, ids), (question, response.answer)


def test_a_home_page_is_never_given_as_the_source() -> None:
    assert specific_url('[{"title": "t", "url": "https://www.campbellcollaboration.org/"}]') is None
    page = "https://crimesolutions.ojp.gov/ratedprograms/123"
    assert specific_url(f'[{{"title": "a", "url": "https://x.org/"}}, {{"title": "b", "url": "{page}"}}]') == page


def test_citations_without_a_specific_source_say_so(corpus_service: EvidenceService) -> None:
    response = _ask(corpus_service, "is scared straight harmful?")
    for citation in response.citations:
        assert citation.url is None or re.match(r"https?://[^/]+/.+", citation.url)
    assert ("(no link)" in response.answer) == any(c.url is None for c in response.citations)


# -- follow-ups carry the topic, not the previous answer ----------------------------------------------


def test_a_follow_up_continues_the_topic_of_the_question_id_not_the_answer_text(
    corpus_service: EvidenceService,
) -> None:
    first = corpus_service.ask("does DARE work?", face="test")
    conversation = [
        Message(role="user", content="does DARE work?"),
        # what the previous answer said is not what the follow-up continues: a wrongly cited document
        # in it must not lead the next answer
        Message(role="assistant", content="CCTV (closed-circuit television) [1]", question_id=first.question_id),
    ]
    response = _ask(corpus_service, "how much does it cost?", conversation)
    assert "D.A.R.E." in response.standalone_question
    assert "CCTV" not in response.standalone_question
    assert response.summary[0].document_id == "dare"
    assert response.intent == "cost"


def test_a_follow_up_naming_another_program_switches_to_it(corpus_service: EvidenceService) -> None:
    conversation = [
        Message(role="user", content="how much does functional family therapy cost?"),
        Message(role="assistant", content="..."),
    ]
    response = _ask(corpus_service, "and MST?", conversation)
    assert response.summary[0].document_id == "multisystemic-therapy"
    assert "functional family therapy" not in response.standalone_question.lower()


# -- evaluation leaves no trace ----------------------------------------------------------------------


def test_unrecorded_asks_never_reach_the_gap_list(corpus_service: EvidenceService) -> None:
    question = "what is the best recipe for butter tarts, unrecorded?"
    response = corpus_service.ask(question, record=False)
    assert response.no_evidence
    assert "logged" not in response.answer
    assert question not in [g["question"] for g in corpus_service.records.evidence_gaps(1000)]
    assert corpus_service.records.turn(response.question_id) is None


def test_a_name_index_built_from_the_last_one_equals_one_built_anew() -> None:
    documents = [
        ("scared-straight", "Scared Straight", ["prison visits"]),
        ("dare", "D.A.R.E. (Drug Abuse Resistance Education)", ["DARE"]),
        ("cctv", "CCTV", ["closed-circuit television"]),
    ]
    first = NameIndex(documents)
    changed = [documents[0], ("dare", "D.A.R.E.", ["DARE", "Drug Abuse Resistance Education"]), documents[2]]
    updated = NameIndex(changed, previous=first)
    anew = NameIndex(changed)
    assert updated.names == anew.names
    assert (
        updated.by_document[documents[0][0], documents[0][1], tuple(documents[0][2])]
        is first.by_document[documents[0][0], documents[0][1], tuple(documents[0][2])]
    )  # unchanged: taken from the last index
    for question in ["is the drug abuse resistance education program any good?", "do prison visits work?", "dare"]:
        assert updated.find(question) == anew.find(question)
