"""The evidence gate: its signals, its fit, and what a member sees when it says no."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.core.answering.extractive import EvidenceGate, GateSignals
from assistant.core.answering.scope import ScopeExamples, load_scope_examples
from assistant.core.answering.text import Vocabulary, without_words
from assistant.core.calibration import fit_gate, score_gate
from assistant.core.embeddings import FakeEmbedder
from assistant.core.service import NO_EVIDENCE_TEXT, EvidenceService
from assistant.core.settings import Settings
from tests.helpers import run_whatworks

# -- signals -----------------------------------------------------------------------------


def test_vocabulary_forgives_typos_but_not_new_topics() -> None:
    vocab = Vocabulary(["Neighbourhood Watch reduced reoffending; street lighting and gating of alleys."])
    assert "neighbourhod" in vocab  # a letter missing
    assert "reoffendng" in vocab
    assert "neighbourhoood" in vocab  # a letter too many
    assert "lightning" not in Vocabulary(["tea"])
    assert vocab.unknown("are youth curfews effective in 2024, as Watch's was?") == ["youth", "curfews", "effective"]
    assert vocab.unknown("street lighting alleys") == []


def test_without_words_blanks_whole_words_only() -> None:
    assert without_words("curfews for curfew-free towns", ["curfews"]).split() == ["for", "curfew-free", "towns"]
    assert without_words("nothing to remove", []) == "nothing to remove"


def test_scope_prefers_the_nearer_kind_of_question() -> None:
    inside = np.array([[1.0, 0.0], [0.9, 0.1]], dtype=np.float32)
    outside = np.array([[0.0, 1.0], [0.1, 0.9]], dtype=np.float32)
    examples = ScopeExamples(inside, outside, neighbours=2)
    assert examples.score(np.array([1.0, 0.0], dtype=np.float32)) > 0.5
    assert examples.score(np.array([0.0, 1.0], dtype=np.float32)) < -0.5
    fewer = examples.without(inside=0)
    assert len(fewer) == 3
    assert fewer.score(np.array([1.0, 0.0], dtype=np.float32)) == pytest.approx(0.9 - 0.05, abs=1e-6)


def test_gate_adds_the_weighted_signals_and_subtracts_novelty() -> None:
    gate = EvidenceGate(threshold=1.0, lexical_weight=0.5, scope_weight=2.0, novelty_weight=1.0)
    signals = GateSignals(similarity=0.6, coverage=0.4, scope=0.1, novelty=0.2)
    assert gate.score(signals) == pytest.approx(0.6 + 0.2 + 0.2 - 0.2)
    assert gate.covers(signals) is False
    assert gate.covers(GateSignals(0.6, 0.4, 0.1, 0.0)) is True


def test_scope_examples_are_read_from_the_file_and_embedded_once(tmp_path: Path) -> None:
    path = tmp_path / "calibration.yaml"
    path.write_text(
        "questions:\n- id: a\n  question: does CCTV work?\n  expected: [cctv]\n"
        "out_of_scope:\n- id: b\n  question: weather tomorrow?\n",
        encoding="utf-8",
    )
    embedder = FakeEmbedder()
    first = load_scope_examples(path, embedder)
    assert first is not None
    assert len(first) == 2
    assert load_scope_examples(path, embedder) is first
    assert load_scope_examples(tmp_path / "missing.yaml", embedder) is None


# -- fitting -------------------------------------------------------------------------------


def test_fit_separates_labelled_signals_and_reads_in_similarity_units() -> None:
    rng = np.random.default_rng(3)
    signals, labels = [], []
    for _ in range(60):
        signals.append(GateSignals(rng.uniform(0.45, 0.8), rng.uniform(0.3, 0.9), rng.uniform(0.0, 0.2), 0.0))
        labels.append(True)
        signals.append(GateSignals(rng.uniform(0.2, 0.55), rng.uniform(0.0, 0.4), rng.uniform(-0.2, 0.05), 0.3))
        labels.append(False)
    fit = fit_gate(signals, labels)
    gate = EvidenceGate(fit.threshold, fit.lexical_weight, fit.scope_weight, fit.novelty_weight)
    result = score_gate(gate, signals, labels)
    assert result.answered >= 0.95
    assert result.refused >= 0.95
    assert fit.novelty_weight > 0
    assert fit.settings_lines()[0].startswith("WHATWORKS_RETRIEVAL__GATE_THRESHOLD=")


def test_the_french_fit_separates_labelled_signals_and_prefers_refusing_on_a_tie() -> None:
    from assistant.core.calibration import FrenchSignals, fit_french

    inside = [FrenchSignals(s, 0.0, False) for s in (0.40, 0.45, 0.50, 0.55)]
    inside += [FrenchSignals(0.33, 9.0, False)]  # in the documents' own French words
    outside = [FrenchSignals(s, 0.0, False) for s in (0.20, 0.25, 0.30, 0.34)]
    fit = fit_french(inside + outside, [True] * 5 + [False] * 4)
    gate = fit.gate()
    assert all(gate.covers(s.similarity, s.lexical) for s in inside)
    assert not any(gate.covers(s.similarity, s.lexical) for s in outside)
    assert 0.34 < fit.threshold <= 0.40
    assert gate.covers(0.1, 0.0, named=True)  # a named program is always covered
    assert fit.settings_lines()[0].startswith("WHATWORKS_RETRIEVAL__FRENCH_THRESHOLD=")


def test_the_french_fit_takes_the_searches_agreeing_only_where_it_separates() -> None:
    """Questions a little below the threshold whose two searches put the same document first are covered when
    out-of-scope questions at that similarity do not agree; without agreement they stay refused."""
    from assistant.core.calibration import FrenchSignals, fit_french

    inside = [FrenchSignals(s, 0.0, False) for s in (0.45, 0.50, 0.55)]
    inside += [FrenchSignals(s, 3.5, False, agree=True) for s in (0.38, 0.40)]
    outside = [FrenchSignals(s, 3.5, False) for s in (0.30, 0.38, 0.40, 0.41)]
    fit = fit_french(inside + outside, [True] * 5 + [False] * 4)
    gate = fit.gate()
    assert all(gate.covers(s.similarity, s.lexical, agree=s.agree) for s in inside)
    assert not any(gate.covers(s.similarity, s.lexical, agree=s.agree) for s in outside)
    assert fit.agree_floor <= 0.38 < fit.threshold
    assert fit.agree_lexical <= 3.5
    assert "WHATWORKS_RETRIEVAL__FRENCH_AGREE=" in fit.settings_lines()[2]
    # with nothing to gain, the rule stays off
    plain = fit_french(inside[:3] + outside, [True] * 3 + [False] * 4)
    assert plain.agree_floor == float("inf")
    assert plain.settings_lines()[2] == 'WHATWORKS_RETRIEVAL__FRENCH_AGREE=["inf","inf"]'


def test_fit_refuses_a_file_with_one_kind_of_question() -> None:
    with pytest.raises(ValueError, match="both in-scope and out-of-scope"):
        fit_gate([GateSignals(0.5, 0.5)] * 3, [True] * 3)


# -- what a member sees, with the real model and corpus ------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        # "does X work" about interventions the evidence base does not hold
        "do noise bylaws with steep fines cut down on late-night bar fights?",
        "is there evidence that banning ski masks in malls reduces robberies?",
        # near the field, but not a question about what works
        "how much does a police dog cost to train and keep per year?",
        "translate 'safer neighbourhoods' into Portuguese for our flyer",
    ],
)
def test_uncovered_questions_get_the_no_evidence_answer(corpus_service: EvidenceService, question: str) -> None:
    response = corpus_service.ask(question)
    assert response.no_evidence is True, [c.document_id for c in response.citations]
    assert response.answer.startswith(NO_EVIDENCE_TEXT)
    assert response.citations == []
    assert response.nearest_topics


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("our alleys behind the shops are a mess of break-ins. do locked gates help?", "alley-gating"),
        ("grandparents keep asking about that preschool study from michigan, was it real?", "perry-preschool"),
        ("hub tables in sask - did they do anything?", "hub-situation-tables"),
    ],
)
def test_covered_questions_in_plain_words_are_answered(
    corpus_service: EvidenceService, question: str, document: str
) -> None:
    response = corpus_service.ask(question)
    assert response.no_evidence is False
    assert document in [c.document_id for c in response.citations]


def test_calibrate_prints_the_shipped_gate_for_the_shipped_calibration_file(corpus_settings: Settings) -> None:
    """The defaults in settings are what `whatworks calibrate` fits; re-run it after changing the corpus."""
    run = run_whatworks(corpus_settings, "calibrate", "--json")
    assert run.returncode == 0, run.stderr
    assert "WHATWORKS_RETRIEVAL__GATE_THRESHOLD=" in run.stdout
    result = json.loads(run.stdout.strip().splitlines()[-1])
    defaults = Settings(_env_file=None).retrieval  # type: ignore[call-arg]
    fit = result["fit"]
    assert fit["threshold"] == pytest.approx(defaults.gate_threshold, abs=0.03)
    assert fit["lexical_weight"] == pytest.approx(defaults.gate_lexical_weight, abs=0.05)
    assert fit["scope_weight"] == pytest.approx(defaults.gate_scope_weight, abs=0.05)
    assert fit["novelty_weight"] == pytest.approx(defaults.gate_novelty_weight, abs=0.05)
    golden = result["fitted"]["corpus/eval/questions.yaml"]
    assert golden["refused"] >= 0.9
    assert golden["answered"] >= 0.95
    # the French gate too, fitted on french-calibration.yaml with french-2.yaml and checked on french.yaml
    french = result["french_fit"]
    assert french["threshold"] == pytest.approx(defaults.french_threshold, abs=0.01)
    assert (french["lexical_floor"], french["lexical_strong"]) == pytest.approx(defaults.french_lexical, abs=0.01)
    assert (french["agree_floor"], french["agree_lexical"]) == pytest.approx(defaults.french_agree, abs=0.01)
    check = result["french_fitted"]["corpus/eval/french.yaml"]
    assert check["answered"] >= 0.9
    assert check["refused"] >= 0.9
