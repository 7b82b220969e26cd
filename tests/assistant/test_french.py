"""French questions get French answers from the same evidence: real corpus, real multilingual encoder."""

from __future__ import annotations

import pytest

from assistant.core.answering.planning import library_of
from assistant.core.crosslingual import FakeMultilingualEncoder
from assistant.core.language import detect_language
from assistant.core.service import EvidenceService

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("Est-ce que la vidéosurveillance réduit la criminalité dans les stationnements?", None, "fr"),
        ("policiers dans les écoles, ça vaut-tu la peine?", "en", "fr"),
        ("Does CCTV reduce crime in car parks?", "fr", "en"),
        ("CCTV", "fr", "fr"),  # a name alone says nothing: the interface's language decides
        ("CCTV", None, "en"),
        ("Scared Straight", "fr", "fr"),
    ],
)
def test_the_question_decides_its_language_and_a_hint_breaks_ties(text: str, hint: str | None, language: str) -> None:
    assert detect_language(text, hint) == language  # type: ignore[arg-type]


def test_a_french_question_about_a_harmful_program_gets_a_french_frame(corpus_service: EvidenceService) -> None:
    response = corpus_service.ask(
        "Un organisme veut amener des ados visiter une prison pour leur faire peur. Est-ce que ça marche?",
        record=False,
    )
    assert response.language == "fr"
    assert not response.no_evidence
    assert response.summary[0].document_id == "scared-straight"
    assert response.summary[0].verdict.value == "harmful"
    assert "Néfaste" in response.answer
    assert "What works" not in response.answer
    assert "(en anglais)" in response.answer  # every English quote says so
    assert "**Sources**" in response.answer
    documents = library_of(corpus_service.snapshot()).documents
    named = [(r.document_id, r.title) for r in response.related]
    named += [(i.document_id, i.title) for s in response.sections for i in s.items]
    assert named
    assert all(title == documents[d].chunks[0].metadata["title_fr"] for d, title in named)  # French names


def test_a_document_with_french_text_is_quoted_in_french(corpus_service: EvidenceService) -> None:
    response = corpus_service.ask("Le programme G.R.E.A.T. dans les écoles, ça réduit les gangs?", record=False)
    line = response.summary[0]
    assert line.document_id == "great-gang-resistance-education"
    assert line.language == "fr"
    assert line.finding.startswith("G.R.E.A.T. est un programme")  # its own summary_fr, verbatim
    assert f"\u201c{line.finding}\u201d [{line.n}] (en anglais)" not in response.answer


def test_a_french_question_the_base_does_not_cover_gets_a_french_refusal(corpus_service: EvidenceService) -> None:
    response = corpus_service.ask("Comment obtenir un permis pour agrandir mon garage?", record=False)
    assert response.language == "fr"
    assert response.no_evidence
    assert response.answer.startswith("La base de données probantes ne contient rien sur cette question")
    assert len(response.nearest_topics) == 3
    assert all(t.question.startswith("Que disent les données sur") for t in response.nearest_topics)


def test_english_questions_are_untouched(corpus_service: EvidenceService) -> None:
    response = corpus_service.ask("Does CCTV reduce crime?", record=False)
    assert response.language == "en"
    assert response.summary[0].document_id == "cctv"
    assert "(en anglais)" not in response.answer
    # from a French interface, a question plainly in English is still answered in English
    mentoring = corpus_service.ask("does mentoring work for young people at risk?", record=False, language="fr")
    assert mentoring.language == "en"


def test_the_fake_multilingual_encoder_is_deterministic_unit_vectors() -> None:
    encoder = FakeMultilingualEncoder()
    a, b = encoder.encode(["vidéosurveillance et crime", "vidéosurveillance et crime"])
    assert float(a @ b) == pytest.approx(1.0)


def test_the_command_line_prints_a_french_answer_in_a_french_frame(corpus_service: EvidenceService) -> None:
    from assistant.cli import plain_answer

    shown = plain_answer(
        corpus_service.ask("Les camps de type militaire pour jeunes contrevenants, ça marche?", record=False)
    )
    assert "boot-camps" not in shown  # titles, not ids
    assert "Aucun effet" in shown or "Néfaste" in shown or "Résultats mitigés" in shown
    assert "What works" not in shown
    assert "(en anglais)" in shown


def test_a_short_french_follow_up_continues_the_previous_answer(corpus_service: EvidenceService) -> None:
    from assistant.core.answers import Message

    first = corpus_service.ask("Est-ce que le programme Scared Straight réduit la délinquance?", record=True)
    assert first.summary[0].document_id == "scared-straight"
    conversation = [
        Message(role="user", content="Est-ce que le programme Scared Straight réduit la délinquance?"),
        Message(role="assistant", content=first.answer[:2000], question_id=first.question_id),
    ]
    follow_up = corpus_service.ask("Et au Canada?", conversation=conversation, record=False)
    assert follow_up.language == "fr"
    assert not follow_up.no_evidence
    assert follow_up.summary[0].document_id == "scared-straight"
    alone = corpus_service.ask("Et au Canada?", record=False, language="fr")
    assert alone.no_evidence  # without the conversation, there is nothing to continue
