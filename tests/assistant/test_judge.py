"""The verifier's judge: the fine-tuned cross-encoder that reads what the rules accepted.

Fakes check the wiring (asked only after every rule passes, its rejection named with its score);
the shipped model is checked on sentences written here, not taken from any claim set; and
`whatworks train-judge` is run for real on a few claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.embeddings import Embedder
from assistant.core.settings import EmbeddingSettings, VerificationSettings
from assistant.core.verification import judge as judge_module
from assistant.core.verification.flipping import flipped_claims, flips
from assistant.core.verification.judge import (
    CrossEncoderJudge,
    FakeJudge,
    judge_input,
    make_judge,
    verbatim_excerpt,
)
from assistant.core.verification.verifier import CitedPassage, SentenceVerifier

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "corpus" / "eval" / "claims"


def _section(path: str, heading: str) -> str:
    text = (ROOT / "corpus" / path).read_text(encoding="utf-8")
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0].strip()


SCARED = CitedPassage(
    _section("programs/scared-straight.md", "Evidence"),
    "Scared Straight and other juvenile awareness programs",
    "harmful",
)
LIGHTING = CitedPassage(
    "Improved street lighting was followed by less crime in the areas that received it. A review pooled "
    "13 studies from the United Kingdom and the United States and found that crime fell by about a fifth "
    "in lit areas compared with similar areas left as they were. The drop was seen at night and also by day.",
    "Improved street lighting",
    "effective",
)


def test_a_verbatim_excerpt_is_a_copy_unless_its_sentence_turns_it() -> None:
    passage = (
        "Petrosino et al. (2013) found that juvenile awareness programs increased delinquency among young "
        "people. There is no evidence that boot camps reduce reoffending among young people in custody."
    )
    assert verbatim_excerpt("Juvenile awareness programs increased delinquency among young people [1].", passage)
    assert not verbatim_excerpt("Boot camps reduce reoffending among young people in custody [1].", passage)
    assert not verbatim_excerpt("Programs increased delinquency [1].", passage)  # too short to be sure
    assert not verbatim_excerpt("Juvenile awareness programs reduced delinquency among young people [1].", passage)


def test_judge_input_reads_the_document_and_the_sentences_the_claim_restates() -> None:
    passage = CitedPassage(
        "The program ran in 12 schools. Teachers liked it. Pupils in the program fought less in the "
        "playground. Parents were sent a newsletter. The effect faded after a year.",
        "Playground program",
        "promising",
    )
    claim, read = judge_input("Pupils in the program fought less in the playground [1].", [passage], window=2)
    assert claim == "Pupils in the program fought less in the playground."
    assert read.startswith("Playground program (verdict: promising).")
    assert "fought less in the playground" in read
    assert "newsletter" not in read
    _, untitled = judge_input("Crime fell [1].", [CitedPassage("Crime fell. Nothing else.")])
    assert untitled == "Crime fell. Nothing else."


def test_the_judge_is_asked_only_after_every_rule_passes_and_its_rejection_is_named(embedder: Embedder) -> None:
    doubtful = FakeJudge(lambda claim, passage: 0.2, threshold=0.5)
    verifier = SentenceVerifier(embedder, judge=doubtful)
    faithful = "Crime fell by about a fifth in areas with improved street lighting [1]."
    verdict = verifier.check(faithful, {1: LIGHTING})
    assert not verdict.supported
    assert verdict.check == "judge"
    assert "score 0.20, threshold 0.50" in verdict.reason
    assert doubtful.calls
    assert doubtful.calls[0][0] == faithful.replace(" [1]", "")

    asked_before = len(doubtful.calls)
    flipped = verifier.check("Improved street lighting increased crime in lit areas [1].", {1: LIGHTING})
    assert not flipped.supported
    assert flipped.check == "direction"
    assert len(doubtful.calls) == asked_before  # a rule already said no

    trusting = SentenceVerifier(embedder, judge=FakeJudge(threshold=0.5))
    assert trusting.check(faithful, {1: LIGHTING}).supported


def test_make_judge_refuses_to_run_without_its_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_judge(VerificationSettings(judge="none")) is None
    monkeypatch.setattr(judge_module, "JUDGE_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="WHATWORKS_VERIFICATION__JUDGE=none"):
        make_judge(VerificationSettings())


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> CrossEncoderJudge:
    """The judge as answers run it: exported to ONNX from the shipped weights (here into a fresh folder)."""
    assert CrossEncoderJudge.available(), "the judge's weights are not in the package"
    judge = make_judge(VerificationSettings(), EmbeddingSettings(onnx_dir=tmp_path_factory.mktemp("onnx")))
    assert isinstance(judge, CrossEncoderJudge)
    return judge


def test_onnx_and_pytorch_agree(shipped: CrossEncoderJudge) -> None:
    pairs = [
        judge_input("Scared Straight increased delinquency [1].", [SCARED]),
        judge_input("Crime fell by a fifth where lighting improved [1].", [LIGHTING]),
        judge_input("Lighting made no difference to crime [1].", [LIGHTING]),
    ]
    path = shipped.onnx_path()
    assert path is not None
    shipped.prepare()
    assert path.exists()
    by_onnx = shipped.support(pairs)
    by_torch = CrossEncoderJudge().support(pairs)
    if shipped.config.onnx_int8:
        # the int8 graph (weights per channel) that answers run: near PyTorch's scores, the same decisions.
        # Over the 602 validation claims (2026-12-01, this judge) the two differ by 0.018 on average, 0.077
        # at p95, and decide 7 differently; the judge before gave 0.015, 0.081 and 11
        assert path.name.endswith("-int8r.onnx")
        assert by_onnx == pytest.approx(by_torch, abs=0.12)
        assert [s >= shipped.threshold for s in by_onnx] == [s >= shipped.threshold for s in by_torch]
    else:
        assert by_onnx == pytest.approx(by_torch, abs=1e-3)


@pytest.mark.parametrize(
    "works",
    [
        "Young people sent on Scared Straight prison visits went on to offend less than those left alone [1].",
        "Scared Straight cut delinquency, so councils should consider paying for it [1].",
        "Scared Straight is a sound investment that keeps young people out of trouble [1].",
    ],
)
def test_the_shipped_judge_rejects_calling_a_harmful_program_effective(shipped: CrossEncoderJudge, works: str) -> None:
    (score,) = shipped.support([judge_input(works, [SCARED])])
    assert score < shipped.threshold


def test_the_shipped_judge_scores_a_finding_above_its_denial(shipped: CrossEncoderJudge) -> None:
    good, bad = shipped.support(
        [
            judge_input("A review of 13 studies found that lighting cut crime by about a fifth [1].", [LIGHTING]),
            judge_input("A review of 13 studies found that lighting made no difference to crime [1].", [LIGHTING]),
        ]
    )
    assert bad < shipped.threshold
    assert good > bad


def test_the_verifier_with_the_shipped_judge_keeps_faithful_sentences(
    embedder: Embedder, shipped: CrossEncoderJudge
) -> None:
    verifier = SentenceVerifier(embedder, judge=shipped)
    for sentence in (
        "Scared Straight and similar programs increased delinquency among participating young people [1].",
        "Taking part in Scared Straight made young people more likely to offend, not less [1].",
    ):
        verdict = verifier.check(sentence, {1: SCARED})
        assert verdict.supported, verdict.reason
        assert verdict.reason == "supported (a verbatim excerpt)"
    for sentence in (
        "Scared Straight programs reduced offending among participants [1].",
        "Scared Straight programs did not increase offending among participants [1].",
        "Scared Straight is an effective way to reduce delinquency [1].",
    ):
        assert not verifier.check(sentence, {1: SCARED}).supported


@pytest.mark.slow
def test_train_judge_fits_weights_and_a_threshold(tmp_path: Path) -> None:
    lines = (CLAIMS / "train" / "written-1.jsonl").read_text(encoding="utf-8").splitlines()
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(lines[:32]) + "\n", encoding="utf-8")
    validation = tmp_path / "validation.jsonl"
    validation.write_text("\n".join(lines[-16:]) + "\n", encoding="utf-8")
    out = tmp_path / "judge"
    result = CliRunner().invoke(
        app,
        ["train-judge", "--train", str(train), "--validation", str(validation), "--out", str(out), "--epochs", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "training on 32 claims" in result.output
    config = json.loads((out / "judge.json").read_text(encoding="utf-8"))
    assert config["training_claims"] == 32
    assert config["trained_on"] == ["train.jsonl"]
    assert 0.0 <= config["threshold"] < 1.0
    assert config["validation"]["claims"] == 16
    scores = CrossEncoderJudge(out).support([("Crime fell.", "Crime fell in the lit areas.")])
    assert len(scores) == 1
    assert 0.0 <= scores[0] <= 1.0

    missing = CliRunner().invoke(
        app, ["train-judge", "--train", str(tmp_path / "nope.jsonl"), "--validation", str(validation)]
    )
    assert missing.exit_code == 2
    assert "nope.jsonl: no such file" in missing.output


@pytest.mark.slow
def test_train_judge_goes_on_from_an_earlier_judge(tmp_path: Path) -> None:
    """`--start-from`: new claims added to a judge's training in one short run, starting from its weights;
    judge.json says what the judge it went on from was trained on. A directory with no judge is refused."""
    from assistant.core.verification.judge import JUDGE_DIR

    lines = (CLAIMS / "train" / "written-2.jsonl").read_text(encoding="utf-8").splitlines()
    train = tmp_path / "more.jsonl"
    train.write_text("\n".join(lines[:16]) + "\n", encoding="utf-8")
    validation = tmp_path / "validation.jsonl"
    validation.write_text("\n".join(lines[-16:]) + "\n", encoding="utf-8")
    out = tmp_path / "judge"
    args = ["train-judge", "--train", str(train), "--validation", str(validation), "--out", str(out)]
    result = CliRunner().invoke(
        app, [*args, "--epochs", "1", "--start-from", str(JUDGE_DIR), "--learning-rate", "1e-9"]
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "judge.json").read_text(encoding="utf-8"))
    packaged = json.loads((JUDGE_DIR / "judge.json").read_text(encoding="utf-8"))
    assert config["continued_from"]["trained_on"] == packaged["trained_on"]
    assert config["learning_rate"] == 1e-9
    # with a learning rate that moves nothing, the judge scores as the one it started from
    pairs = [("Scared Straight reduced offending [1].", "Scared Straight increased delinquency among participants.")]
    assert abs(CrossEncoderJudge(out).support(pairs)[0] - CrossEncoderJudge(JUDGE_DIR).support(pairs)[0]) < 0.05

    refused = CliRunner().invoke(app, [*args, "--start-from", str(tmp_path)])
    assert refused.exit_code == 2
    assert "no judge there" in refused.output
    other = CliRunner().invoke(app, [*args, "--start-from", str(JUDGE_DIR), "--frozen-layers", "2"])
    assert other.exit_code == 2
    assert "that judge has frozen-layers 0; give --frozen-layers 0" in other.output


def test_a_supported_claim_is_reversed_by_one_word() -> None:
    assert ("direction", "Scared Straight reduced delinquency [1].") in flips(
        "Scared Straight increased delinquency [1]."
    )
    assert flips("Mentoring did not reduce arrests [1].") == [
        ("direction", "Mentoring did not increase arrests [1]."),
        ("negation", "Mentoring did reduce arrests [1]."),
    ]
    assert ("negation", "The program is not effective [1].") in flips("The program is effective [1].")
    assert ("direction", "The program is ineffective [1].") in flips("The program is effective [1].")
    assert flips("Curfews target youth at night [1].") == []  # nothing to reverse by one word


def test_flipped_claims_are_unsupported_twins_of_supported_ones_and_the_same_each_run() -> None:
    rows = [
        {"id": "a", "passage": "p", "claim": "Crime fell where lighting improved [1].", "label": "supported"},
        {"id": "b", "passage": "p", "claim": "Crime rose [1].", "label": "unsupported", "kind": "direction"},
        {"id": "c", "passage": "p", "claim": "Lighting helped (no citation).", "label": "supported"},
    ]
    flipped = flipped_claims(rows)
    assert [r["id"] for r in flipped] == ["flip-a"]
    assert flipped[0]["label"] == "unsupported"
    assert flipped[0]["kind"] == "direction"
    assert flipped[0]["claim"] in {"Crime rose where lighting improved [1].", "Crime fell where lighting worsened [1]."}
    assert flipped_claims(rows) == flipped


def test_the_flip_claims_command_writes_them_and_names_a_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "claims.jsonl"
    good.write_text(
        json.dumps({"id": "a", "passage": "p", "claim": "Arrests fell [1].", "label": "supported"}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "flipped.jsonl"
    run = CliRunner().invoke(app, ["flip-claims", str(good), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert [json.loads(x)["claim"] for x in out.read_text(encoding="utf-8").splitlines()] == ["Arrests rose [1]."]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["flip-claims", str(bad), "--out", str(out)])
    assert run.exit_code == 2
    assert f"{bad}:2: not a JSON object" in run.output


def test_a_sure_judge_does_not_override_a_doubt_about_a_benefit_of_a_program_rated_no_effect(
    embedder: Embedder,
) -> None:
    """The passage credits gunshot detection (no effect on crime) with a faster response; a sentence giving it
    a benefit for people the passage never mentions keeps the population doubt, however sure the judge is. The
    same doubt about a program rated effective is still the judge's to override."""
    from assistant.core.verification.claimset import corpus_documents, rated_names

    rated = rated_names(corpus_documents(ROOT / "corpus"))
    sure = SentenceVerifier(embedder, judge=FakeJudge(threshold=0.5))
    text = "Gunshot detection improved police response times to shootings. Gun crime did not fall where it was used."
    useless = CitedPassage(text, "Gunshot detection technology", "no-effect")
    verdict = sure.check("Gunshot detection helps teenagers stay safe [1].", {1: useless}, rated)
    assert not verdict.supported
    assert verdict.check == "who-where", verdict.reason
    rated_well = CitedPassage(text, "Gunshot detection technology", "effective")
    assert sure.check("Gunshot detection helps teenagers stay safe [1].", {1: rated_well}, rated).supported
