"""The sentence verifier: flipped findings are rejected with a named reason, paraphrases pass,
and `whatworks verify-claims` reads labelled claim files, reports bad lines and holds its limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.answering.linking import RatedNames
from assistant.core.embeddings import Embedder
from assistant.core.verification.claimset import corpus_documents, rated_names, read_claims
from assistant.core.verification.verifier import CitedPassage, SentenceVerifier

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "corpus" / "eval" / "claims"


def _section(path: str, heading: str) -> str:
    text = (ROOT / "corpus" / path).read_text(encoding="utf-8")
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0].strip()


SCARED_EVIDENCE = _section("programs/scared-straight.md", "Evidence")
DARE_SUMMARY = _section("programs/dare.md", "Summary")


@pytest.fixture(scope="module")
def verifier(embedder: Embedder) -> SentenceVerifier:
    return SentenceVerifier(embedder)


@pytest.mark.parametrize(
    ("sentence", "check"),
    [
        ("Scared Straight programs reduced offending among participants [1].", "direction"),
        ("Scared Straight programs did not increase offending among participants [1].", "negation"),
        ("Scared Straight is an effective way to reduce delinquency [1].", "verdict"),
        ("A Campbell review of 12 randomised trials found that Scared Straight increased delinquency [1].", "number"),
        ("A Blueprints review found that Scared Straight increased delinquency [1].", "program"),
        ("Scared Straight increased delinquency among adults in Canadian prisons [1].", "who-where"),
        ("Scared Straight increased delinquency; see https://evil.example for funding [1].", "detail"),
        ("Scared Straight increased delinquency, so from now on you must fund Project X [1].", "detail"),
    ],
)
def test_the_issue_flips_are_rejected_with_their_reason(verifier: SentenceVerifier, sentence: str, check: str) -> None:
    verdict = verifier.check(sentence, {1: SCARED_EVIDENCE})
    assert not verdict.supported
    assert verdict.check == check, verdict.reason


@pytest.mark.parametrize(
    "sentence",
    [
        "Scared Straight and similar programs increased delinquency among participating young people [1].",
        "Taking part in Scared Straight made young people more likely to offend, not less [1].",
        "A Campbell review of nine randomised trials found that Scared Straight raised delinquency [1].",
    ],
)
def test_faithful_paraphrases_pass(verifier: SentenceVerifier, sentence: str) -> None:
    verdict = verifier.check(sentence, {1: SCARED_EVIDENCE})
    assert verdict.supported, verdict.reason


def test_a_harmful_documents_passage_never_supports_works(verifier: SentenceVerifier) -> None:
    # the passage alone reads neutral; the document's verdict is what forbids "it works"
    passage = CitedPassage(
        "Juvenile awareness programs bring young people to prisons to meet inmates.",
        title="Scared Straight and other juvenile awareness programs",
        verdict="harmful",
    )
    verdict = verifier.check("Juvenile awareness programs work well for young people [1].", {1: passage})
    assert (verdict.supported, verdict.check) == (False, "verdict")


def test_no_effect_finding_is_not_turned_into_a_benefit(verifier: SentenceVerifier) -> None:
    assert not verifier.check("D.A.R.E. cut drug use among school children [1].", {1: DARE_SUMMARY}).supported
    sentence = "The original D.A.R.E. program did not reduce young people's drug use [1]."
    kept = verifier.check(sentence, {1: DARE_SUMMARY})
    assert kept.supported, kept.reason


def test_citations_must_exist(verifier: SentenceVerifier) -> None:
    assert verifier.check("Scared Straight increased delinquency.", {1: SCARED_EVIDENCE}).check == "citation"
    missing = verifier.check("Scared Straight increased delinquency [2].", {1: SCARED_EVIDENCE})
    assert (missing.supported, missing.check) == (False, "citation")
    assert "[2]" in missing.reason


# -- the claim file and the command --------------------------------------------------------------


def test_bad_lines_are_reported_by_number_and_the_rest_is_checked(tmp_path: Path) -> None:
    good = {"id": "ok-1", "passage": SCARED_EVIDENCE, "claim": "Scared Straight increased delinquency [1]."}
    lines = [
        json.dumps(good).encode(),
        b'{"id": "broken", "passage": ',
        json.dumps({"id": "empty", "passage": "x y z", "claim": "  "}).encode(),
        json.dumps({"id": "nocite", "passage": "x y z", "claim": "Scared Straight works."}).encode(),
        json.dumps({"id": "two", "passage": "x y z", "claim": "It works [2]."}).encode(),
        json.dumps({"id": "huge", "passage": "word " * 20_000, "claim": "It works [1]."}).encode(),
        b'{"id": "latin1", "passage": "caf\xe9", "claim": "x [1]."}',
        json.dumps({**good, "id": "ok-2"}).encode(),
    ]
    path = tmp_path / "claims.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    claims, errors = read_claims(path)
    assert [c.id for c in claims] == ["ok-1", "ok-2"]
    messages = {e.line: e.message for e in errors}
    assert "not valid JSON" in messages[2]
    assert '"claim" is missing or empty' in messages[3]
    assert "cites no passage" in messages[4]
    assert "cites [2], but no such passage is given" in messages[5]
    assert "the limit is 20000" in messages[6]
    assert "not UTF-8" in messages[7]

    # the rules alone (--no-judge): this is about reading the file, not about the judge
    result = CliRunner().invoke(app, ["verify-claims", str(path), "--json", "--no-judge"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["id"] for r in payload["results"]] == ["ok-1", "ok-2"]
    assert all(r["supported"] for r in payload["results"])
    assert f"{path}:2: not valid JSON" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [f"{part}{n}.jsonl" for part in ("dev", "holdout") for n in ("", "2", "3")]
    + ["holdout4.jsonl", "benefit-dev.jsonl", "benefit-dev2.jsonl", "holdout-benefit.jsonl"]
    + [f"benefit-dev{n}.jsonl" for n in (3, 4, 5)]
    + [f"holdout-benefit{n}.jsonl" for n in (2, 3, 4)],
)
def test_labelled_claim_sets_stay_within_the_limits(name: str) -> None:
    """`make test` holds the verifier to corpus/eval/claims/thresholds.yaml on every claim file."""
    result = CliRunner().invoke(
        app, ["verify-claims", str(CLAIMS / name), "--json", "--thresholds", str(CLAIMS / "thresholds.yaml")]
    )
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(payload["results"]) >= 150
    assert result.exit_code == 0, result.stderr


# Passages written for these tests (not taken from a claim set), each with one sentence that reads the
# passage right and one that a fluent writer gets wrong in the named way.
SITES = (
    "An evaluation in four cities found that the curfew program lowered youth arrests in two of the "
    "sites; the other two saw no change. Officials chose which blocks took part rather than assigning "
    "them at random. The study did not test effects on violence."
)


@pytest.mark.parametrize(
    ("sentence", "check"),
    [
        ("The curfew program lowered youth arrests in every one of the cities evaluated [1].", "strength"),
        ("Blocks were picked for the curfew program by officials rather than at random [1].", None),
        ("Blocks took part in the curfew program by chance, without officials choosing them [1].", "negation"),
        ("The curfew program lowered youth arrests in two of the four cities [1].", None),
        ("The curfew program reduced violence in the cities where it ran [1].", "verdict"),
        ("The curfew program lowered youth arrests on weekend nights in two sites [1].", "detail"),
    ],
)
def test_universal_set_aside_untested_and_added_details(
    verifier: SentenceVerifier, sentence: str, check: str | None
) -> None:
    verdict = verifier.check(sentence, {1: SITES})
    assert verdict.supported is (check is None), verdict.reason
    if check:
        assert verdict.check == check, verdict.reason


def test_shown_to_work_cannot_cite_a_mixed_document(verifier: SentenceVerifier) -> None:
    passage = CitedPassage(
        "The fund paid for local projects to keep young people out of gangs; their results are not established.",
        title="Gang prevention fund",
        verdict="mixed",
    )
    sentence = "The gang prevention fund has been shown to keep young people out of gangs [1]."
    verdict = verifier.check(sentence, {1: passage})
    assert (verdict.supported, verdict.check) == (False, "verdict")


def test_a_claim_file_knows_its_documents_names_and_verdict(tmp_path: Path) -> None:
    from assistant.core.verification.claimset import corpus_documents

    line = {"id": "c1", "document_id": "scared-straight", "passage": "It increased delinquency.", "claim": "x [1]."}
    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    claims, errors = read_claims(path, corpus_documents(ROOT / "corpus"))
    assert not errors
    cited = claims[0].passages[1]
    assert cited.verdict == "harmful"
    assert "Scared Straight" in cited.title


def test_one_word_turned_into_its_opposite_is_a_flip(verifier: SentenceVerifier) -> None:
    passage = (
        "Among single measures, window locks gave the best protection against burglary in the survey, "
        "and the scheme left residents with more positive views of their neighbourhood."
    )
    for sentence in (
        "Among single measures, window locks gave the weakest protection against burglary in the survey [1].",
        "The scheme left residents with more negative views of their neighbourhood [1].",
    ):
        verdict = verifier.check(sentence, {1: passage})
        assert (verdict.supported, verdict.check) == (False, "direction"), verdict.reason
    before = "Patrols were sent to each hot spot before the evening peak in calls, and the effect was stronger there."
    for sentence in (
        "Patrols were sent to each hot spot after the evening peak in calls [1].",
        "Patrols were sent to each hot spot before the evening peak in calls, and the effect was weaker there [1].",
    ):
        verdict = verifier.check(sentence, {1: before})
        assert (verdict.supported, verdict.check) == (False, "direction"), verdict.reason
    same = "Window locks gave the best protection against burglary of any single measure in the survey [1]."
    assert verifier.check(same, {1: passage}).supported


def test_a_finding_credited_to_another_source_or_group_is_rejected(verifier: SentenceVerifier) -> None:
    passage = CitedPassage(
        "A Campbell review of 20 trials found that the program reduced aggression among children aged 6 to 11. "
        "Blueprints lists the program but has not rated it.",
        title="Anger-control groups for children",
    )
    credited = verifier.check("A Blueprints review of 20 trials found it reduced aggression [1].", {1: passage})
    assert (credited.supported, credited.check) == (False, "program"), credited.reason
    teens = verifier.check("A Campbell review found the program reduced aggression among teenagers [1].", {1: passage})
    assert (teens.supported, teens.check) == (False, "who-where"), teens.reason
    # 'children' in the document's own title is its name, not a claim about who
    same = "Anger-control groups for children reduced aggression, a Campbell review of 20 trials found [1]."
    assert verifier.check(same, {1: passage}).supported


# An overview that names D.A.R.E. (rated no-effect) and LifeSkills Training (effective) side by side: the
# cited document's own verdict is not D.A.R.E.'s, so only the verdict of the program named can stop these.
OVERVIEW = CitedPassage(
    "Schools choose between several drug prevention curricula. D.A.R.E. is taught by police officers in "
    "classrooms. LifeSkills Training reduced drug use among pupils in several trials.",
    "Overview: drug prevention in schools",
    None,
)


@pytest.fixture(scope="module")
def rated() -> RatedNames:
    return rated_names(corpus_documents(ROOT / "corpus"))


@pytest.mark.parametrize(
    ("sentence", "supported"),
    [
        ("D.A.R.E. keeps pupils off drugs [1].", False),
        ("DARE is an effective way to prevent drug use [1].", False),
        ("Like LifeSkills Training, D.A.R.E. reduced drug use among pupils [1].", False),
        ("Boot camps, like LifeSkills Training, cut drug use among pupils [1].", False),
        ("D.A.R.E. has a proven track record in classrooms [1].", False),
        ("Schools that pair police officers with D.A.R.E. get results [1].", False),
        ("D.A.R.E. is good value for money for a school board [1].", False),
        ("D.A.R.E. is a well-supported purchase for a police service [1].", False),
        ("School boards should treat their D.A.R.E. classes as effective until shown otherwise [1].", False),
        ("Unlike D.A.R.E., LifeSkills Training reduced drug use among pupils [1].", True),
        ("Rather than D.A.R.E., LifeSkills Training reduced drug use among pupils [1].", True),
        ("D.A.R.E. is taught by police officers in classrooms [1].", True),
        ("LifeSkills Training reduced drug use among pupils in several trials [1].", True),
    ],
)
def test_a_sentence_cannot_say_a_program_rated_no_effect_works_whatever_it_cites(
    rated: RatedNames, sentence: str, supported: bool
) -> None:
    verdict = SentenceVerifier(None).check(sentence, {1: OVERVIEW}, rated)
    assert verdict.supported is supported, verdict.reason
    if not supported:
        assert verdict.check == "verdict"
        assert "rated no-effect in this evidence base" in verdict.reason


def test_a_passage_crediting_the_named_program_lets_its_benefit_stand(rated: RatedNames) -> None:
    """ "Disorder policing" names the zero-tolerance document (no effect), whose passage says disorder policing
    cut crime when done by problem-solving: that sentence of the passage credits it, so the claim stands."""
    passage = CitedPassage(
        "Disorder policing reduced crime when police used community and problem-solving approaches aimed at "
        "particular places. Aggressive zero-tolerance tactics showed no sign of lowering crime.",
        "Zero-tolerance policing",
        "no-effect",
    )
    sentence = "Disorder policing reduced crime when police used problem-solving at particular places [1]."
    assert SentenceVerifier(None).check(sentence, {1: passage}, rated).supported
    assert (
        not SentenceVerifier(None)
        .check("Zero-tolerance policing keeps streets safe [1].", {1: passage}, rated)
        .supported
    )


def test_verify_claims_reads_the_verdicts_of_the_programs_a_claim_names(tmp_path: Path) -> None:
    line = {"id": "n1", "passage": OVERVIEW.text, "claim": "Schools that use D.A.R.E. keep pupils off drugs [1]."}
    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["verify-claims", str(path), "--json", "--no-judge"])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout.strip().splitlines()[-1])["results"]
    assert row["supported"] is False
    assert (
        row["reason"] == "says or implies a program works while naming D.A.R.E., rated no-effect in this evidence base"
    )


def test_a_finding_doubted_further_back_than_a_plain_not_is_a_null_one(verifier: SentenceVerifier) -> None:
    """'no evidence that ... reduced', 'unlikely to cut': a null finding, on either side of the check."""
    passage = (
        "A national study of county records found no evidence that the amnesty events reduced burglary or "
        "vehicle theft in the following two years."
    )
    for faithful in (
        "The national study found no evidence that the amnesty events reduced burglary [1].",
        "Amnesty events are unlikely to cut burglary, going by the national study of county records [1].",
    ):
        assert verifier.check(faithful, {1: passage}).supported, faithful
    flipped = verifier.check("The national study found that the amnesty events reduced burglary [1].", {1: passage})
    assert (flipped.supported, flipped.check) == (False, "negation"), flipped.reason


MENTORING_EVIDENCE = CitedPassage(
    _section("programs/mentoring.md", "Evidence"),
    title="Mentoring for at-risk youth",
    verdict="effective",
    aliases=("mentoring", "youth mentoring"),
)


@pytest.mark.parametrize(
    "sentence",
    [
        "The evidence base does not support a positive effect of mentoring on youth outcomes [1].",
        "Mentoring for at-risk youth showed no positive effects on delinquency [1].",
        "Mentoring is not a good idea for young people at risk [1].",
    ],
)
def test_denying_an_effective_programs_benefit_is_a_verdict_flip(verifier: SentenceVerifier, sentence: str) -> None:
    """Written by SmolLM2 about mentoring (rated effective), and accepted before: the evidence 'does not
    support' a benefit is a claim that the program does not work."""
    verdict = verifier.check(sentence, {1: MENTORING_EVIDENCE})
    assert (verdict.supported, verdict.check) == (False, "verdict"), verdict.reason


def test_an_uncited_sentence_is_placed_only_on_a_passage_about_the_program_it_names(
    verifier: SentenceVerifier,
) -> None:
    scared = CitedPassage(
        SCARED_EVIDENCE,
        "Scared Straight and other juvenile awareness programs",
        "harmful",
        ("Scared Straight", "juvenile awareness"),
    )
    passages = {1: MENTORING_EVIDENCE, 2: scared}
    placed = verifier.attribute("Scared Straight increased delinquency among young people.", passages)
    assert placed == "Scared Straight increased delinquency among young people [2]."
    assert verifier.check(placed, passages).supported
    # names neither program: it might fit a passage on another program than the one asked about
    assert verifier.attribute("The evidence is mixed, with some studies finding no effect.", passages) is None
    assert verifier.attribute("Mentoring cut delinquency [1].", passages) is None  # cited already
    # "D.A.R.E." and "DARE" are one name; the acronym in a title's brackets counts
    dare = CitedPassage(DARE_SUMMARY, "D.A.R.E. (Drug Abuse Resistance Education)", "no-effect")
    assert verifier.attribute("DARE did not reduce drug use.", {3: dare}) == "DARE did not reduce drug use [3]."


def test_a_copied_clause_does_not_carry_an_invented_one(embedder: Embedder) -> None:
    """Written by SmolLM2: the first clause is the passage's own, the second invented; the judge read the
    whole as supported."""
    from assistant.core.settings import Settings
    from assistant.core.verification.judge import make_judge

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    verifier = SentenceVerifier(embedder, judge=make_judge(settings.verification, settings.embedding))
    passage = CitedPassage(
        _section("rating-schemes/ncps-public-safety-canada.md", "How it maps onto whatworks verdicts"),
        title="Public Safety Canada's National Crime Prevention Strategy (NCPS)",
        verdict="not-rated",
        aliases=("NCPS",),
    )
    copied = "Having received NCPS funding does not, by itself, show that a project worked"
    assert verifier.check(f"{copied} [1].", {1: passage}).supported
    verdict = verifier.check(
        f"{copied}; having been funded also increases the likelihood of success in Canada [1].", {1: passage}
    )
    assert not verdict.supported
    assert "beside a clause copied from the passage" in verdict.reason


def test_a_heading_or_a_bare_name_is_not_placed_on_a_passage(verifier: SentenceVerifier) -> None:
    passages = {1: MENTORING_EVIDENCE}
    assert verifier.attribute("Mentoring for at-risk youth", passages) is None
    assert verifier.attribute("Mentoring for at-risk youth (youth mentoring).", passages) is None
    assert verifier.attribute("Mentoring had modest effects on delinquency.", passages) is not None


def test_who_reads_a_finding_and_the_verb_train_are_no_population_or_place(verifier: SentenceVerifier) -> None:
    """Two faithful claims the rules rejected: 'Canadian councils' is the audience, not a finding about
    Canada; 'trains bar staff' is no railway."""
    passage = (
        "The evaluations of gun buy-backs come from cities in the United States; there is no evaluation "
        "of a Canadian buy-back among the sources read."
    )
    faithful = "Canadian councils should be cautious about applying US gun buy-back findings [1]."
    kept = verifier.check(faithful, {1: passage})
    # it was "affirms 'canadian', which the passage denies", a final check; what is left is a word-level
    # doubt that a sure judge may lift
    assert kept.check != "negation", kept.reason
    flipped = verifier.check("A Canadian buy-back was evaluated among the sources read [1].", {1: passage})
    assert not flipped.supported
    safer = "Safer Bars trains bar staff and managers to prevent aggression and to deal with it safely."
    kept = verifier.check(safer + " [1]", {1: safer})
    assert kept.supported, kept.reason


def test_the_oracle_that_tests_and_benchmarks_read_answers_with() -> None:
    """The independent check the LLM test and benchmarks/llm_answers.py apply to every sentence shown."""
    from assistant.core.verification.oracle import calls_it_effective

    assert calls_it_effective("Scared Straight works for teenagers [1].")
    assert calls_it_effective("Boot camps reduced reoffending among youth [2].")
    assert calls_it_effective("D.A.R.E. is a very effective program.")
    assert not calls_it_effective("D.A.R.E. did not reduce drug use [1].")
    assert not calls_it_effective("Boot camps had no effect on reoffending [1].")
    assert not calls_it_effective("Scared Straight increased delinquency [1].")


CURFEWS_HOW = _section("programs/juvenile-curfews.md", "How it works")
SRO_WHAT = _section("programs/school-resource-officers.md", "What it is")
GIRLS_HOW = _section("programs/gang-programs-for-girls.md", "How it works")


@pytest.mark.parametrize(
    ("passage", "title", "verdict", "sentence"),
    [
        # the passages say what these programs are for ("meant to ... by keeping", "to keep students safe"):
        # a purpose is no finding that they help
        (CURFEWS_HOW, "Juvenile curfews", "no-effect", "Towns can count on a youth curfew to keep teenagers safe [1]."),
        (CURFEWS_HOW, "Juvenile curfews", "no-effect", "Night curfews for minors help protect them from crime [1]."),
        (SRO_WHAT, "School resource officers", "harmful", "A council can rely on school resource officers [1]."),
        (SRO_WHAT, "School resource officers", "harmful", "Officers posted in schools make them safer [1]."),
        # named in other words than the document's: its verdict still stands against a benefit
        (GIRLS_HOW, "Gang programs for girls", "no-effect", "Girls-only gang programs can help keep girls out [1]."),
        # a result, a mechanism, a value or a piece of advice is a benefit too
        (CURFEWS_HOW, "Juvenile curfews", "no-effect", "Curfews for minors led to fewer arrests downtown [1]."),
        (CURFEWS_HOW, "Juvenile curfews", "no-effect", "A curfew bylaw brings a drop in youth crime [1]."),
        (SRO_WHAT, "School resource officers", "harmful", "Police officers in a school pay for itself [1]."),
        (SRO_WHAT, "School resource officers", "harmful", "Officers in schools help pupils avoid trouble [1]."),
        (GIRLS_HOW, "Gang programs for girls", "no-effect", "Towns should consider funding girls' gang programs [1]."),
        (GIRLS_HOW, "Gang programs for girls", "no-effect", "Such programs work because they build belonging [1]."),
    ],
)
def test_a_benefit_is_not_taken_from_what_a_harmful_or_useless_program_is_for(
    rated: RatedNames, passage: str, title: str, verdict: str, sentence: str
) -> None:
    result = SentenceVerifier(None).check(sentence, {1: CitedPassage(passage, title, verdict)}, rated)
    assert not result.supported
    assert result.check == "verdict", result.reason


def test_the_dots_of_dare_do_not_end_a_sentence_before_its_denial(rated: RatedNames) -> None:
    """ "should not expect D.A.R.E. to reduce": the "not" governs the benefit; the ". " of the acronym is no break."""
    sentence = "Councils should not expect D.A.R.E. to reduce drug use among pupils [1]."
    assert SentenceVerifier(None).check(sentence, {1: OVERVIEW}, rated).supported


def test_a_description_of_a_study_of_a_useless_program_is_no_benefit(rated: RatedNames) -> None:
    """ "interrupted time series" names a design; only "interrupts the chain" is a mechanism said to work."""
    sentence = "The review pooled twelve evaluations of juvenile curfews, mostly interrupted time series [1]."
    passage = CitedPassage(
        "A Campbell review pooled twelve evaluations of juvenile curfews, mostly interrupted time series; "
        "curfews did not reduce crime or victimisation.",
        "Juvenile curfews",
        "no-effect",
    )
    assert SentenceVerifier(None).check(sentence, {1: passage}, rated).supported


SRO_SUMMARY = _section("programs/school-resource-officers.md", "Summary")
AFTER_SCHOOL_SUMMARY = _section("programs/after-school-programs.md", "Summary")


@pytest.mark.parametrize(
    ("passage", "title", "verdict", "sentence", "supported"),
    [
        # the Summary says what the program is for ("to keep students safe and prevent crime") and what it offers
        # ("homework help"): neither is a benefit found, so a claim of one is a verdict flip
        (
            SRO_SUMMARY,
            "School resource officers",
            "harmful",
            "A council can rely on school resource officers [1].",
            False,
        ),
        (SRO_SUMMARY, "School resource officers", "harmful", "School resource officers keep students safe [1].", False),
        (
            AFTER_SCHOOL_SUMMARY,
            "After-school programs",
            "no-effect",
            "After-school clubs keep teens out of trouble [1].",
            False,
        ),
        # what a warning, a denial or a description says is no benefit
        (
            SRO_SUMMARY,
            "School resource officers",
            "harmful",
            "Schools should consider removing school resource officers [1].",
            True,
        ),
    ],
)
def test_what_a_program_is_for_or_offers_is_no_finding_of_a_benefit(
    rated: RatedNames, passage: str, title: str, verdict: str, sentence: str, supported: bool
) -> None:
    result = SentenceVerifier(None).check(sentence, {1: CitedPassage(passage, title, verdict)}, rated)
    assert result.supported is supported, result.reason
    if not supported:
        assert result.check == "verdict", result.reason


@pytest.mark.parametrize(
    ("sentence", "benefit"),
    [
        ("Juvenile curfews resulted in no lasting drop in crime [1].", False),
        ("Councils should consider ending juvenile curfews [1].", False),
        ("Juvenile curfews were enforced mostly for less serious offences [1].", False),
        ("Such programs can include family support and help for girls [1].", False),
        ("School resource officers build trust and help students [1].", True),
        ("Curfews led to fewer arrests downtown [1].", True),
    ],
)
def test_a_benefit_is_read_with_the_words_around_it(sentence: str, benefit: bool) -> None:
    from assistant.core.verification.verifier import _claims_benefit

    assert _claims_benefit(sentence) is benefit


def test_a_passage_that_says_the_program_lost_does_not_credit_it() -> None:
    from assistant.core.verification.verifier import _reports_benefit

    assert not _reports_benefit("D.A.R.E. was outperformed by interactive programs.")
    assert not _reports_benefit("D.A.R.E. is widely regarded as ineffective.")
    assert _reports_benefit("Disorder policing reduced crime when police used problem-solving.")


ZERO_SUMMARY = _section("programs/zero-tolerance-policing.md", "Summary")
BOOT_WHAT = _section("programs/boot-camps.md", "What it is")


@pytest.mark.parametrize(
    ("passage", "title", "verdict", "sentence"),
    [
        # a verdict word and a mechanism said of the program
        (
            BOOT_WHAT,
            "Correctional boot camps",
            "no-effect",
            "Military-style discipline in a boot camp looks like a promising route for turning young offenders away "
            "from crime [1].",
        ),
        # the program described, not named: a benefit citing its document is still a claim that it works
        (
            SCARED_EVIDENCE,
            "Scared Straight",
            "harmful",
            "Showing at-risk youth the realities of prison life may be enough to discourage some of them from "
            "offending [1].",
        ),
        # "lowered crime only when it was done through community partnerships ..., not through zero-tolerance":
        # a benefit under a condition, which the claim leaves out
        (
            ZERO_SUMMARY,
            "Zero-tolerance policing",
            "no-effect",
            "Zero-tolerance enforcement may well reduce both disorder and serious crime, according to some "
            "studies [1].",
        ),
    ],
)
def test_a_benefit_in_other_words_or_without_its_condition_is_a_verdict_flip(
    rated: RatedNames, passage: str, title: str, verdict: str, sentence: str
) -> None:
    result = SentenceVerifier(None).check(sentence, {1: CitedPassage(passage, title, verdict)}, rated)
    assert not result.supported
    assert result.check == "verdict", result.reason


def test_a_benefit_with_the_passages_condition_stands(rated: RatedNames) -> None:
    sentence = "Policing disorder lowered crime only when it was done through community partnerships [1]."
    passage = CitedPassage(ZERO_SUMMARY, "Zero-tolerance policing", "no-effect")
    assert SentenceVerifier(None).check(sentence, {1: passage}, rated).supported


@pytest.mark.parametrize(
    ("sentence", "benefit"),
    [
        ("Compared with community orders, prison sentences leave offenders less likely to reoffend [1].", True),
        ("Gunshot detection has shown promise [1].", True),
        ("On cost per participant, after-school programs stack up favourably against other options [1].", True),
        ("Zero-tolerance policing brings down serious crime by cracking down on minor offences [1].", True),
        ("Boot camps give shorter stays while improving post-release outcomes [1].", True),
        ("Curfews are among the more effective options a council has [1].", True),
        ("Cities that adopted curfews saw a marked decline in youth arrests [1].", True),
        ("Curfews did not bring youth crime down [1].", False),
        # a verb of its own after "and" is a new claim; a shared auxiliary keeps the denial
        ("The program did not harm youth and reduced arrests [1].", True),
        ("Curfews did not reduce crime or prevent victimisation [1].", False),
        # a concession or a contrast ends what its denial governs; "rather than" denies only what it introduces
        ("Although buy-backs may not lower gun crime overall, they do reduce firearm suicides [1].", True),
        ("Zero-tolerance policing might not lower serious crime, but it reduces visible disorder [1].", True),
        ("Locking offenders up rather than supervising them lowers later conviction rates [1].", True),
        ("Intensive supervision keeps serious offenders from committing new crimes [1].", True),
        ("While curfews were popular, they did not reduce crime [1].", False),
        ("Rather than reducing crime, curfews moved it elsewhere [1].", False),
        ("Curfews did not reduce crime and did not prevent victimisation [1].", False),
        ("Scared Straight is one of the most studied programs [1].", False),
        ("Boot camps are not a promising route [1].", False),
        ("Boot camps promised to reduce crime [1].", False),
        ("The review found only a small, non-significant benefit in official records [1].", False),
    ],
)
def test_more_ways_of_saying_a_benefit(sentence: str, benefit: bool) -> None:
    from assistant.core.verification.verifier import _claims_benefit

    assert _claims_benefit(sentence) is benefit


def test_a_benefit_named_then_denied_credits_nothing() -> None:
    from assistant.core.verification.verifier import _reports_benefit

    assert not _reports_benefit("That overall benefit should not be credited to zero-tolerance tactics.")
    assert _reports_benefit("The program's benefit was clear in both trials.")


BOOT_SUMMARY = _section("programs/boot-camps.md", "Summary")


@pytest.mark.parametrize(
    ("passage", "title", "verdict", "sentence", "supported"),
    [
        # a passage's denied alternative is no benefit it reports
        (
            "Boot camps are best seen as a form of punishment rather than as a program that reduces reoffending.",
            "Correctional boot camps",
            "no-effect",
            "Boot camps reduce reoffending [1].",
            False,
        ),
        # the claim must carry the passage's own condition, not any condition word
        (
            ZERO_SUMMARY,
            "Zero-tolerance policing",
            "no-effect",
            "Zero-tolerance policing lowered crime through zero-tolerance arrests and tickets [1].",
            False,
        ),
        (
            ZERO_SUMMARY,
            "Zero-tolerance policing",
            "no-effect",
            "Zero-tolerance policing cuts crime where used [1].",
            False,
        ),
        # claim-only phrases credit nothing in a passage ("pushes ... down the path to offending")
        (
            "Critics say Scared Straight pushes vulnerable participants down the path to offending.",
            "Scared Straight",
            "harmful",
            "Scared Straight programs prevent crime [1].",
            False,
        ),
        (
            BOOT_SUMMARY,
            "Correctional boot camps",
            "no-effect",
            "Boot camps keep offenders from reoffending [1].",
            False,
        ),
        # a benefit inside a concession is conceded, not claimed
        (
            BOOT_SUMMARY,
            "Correctional boot camps",
            "no-effect",
            "While boot camps may look promising, they did not reduce reoffending [1].",
            True,
        ),
    ],
)
def test_what_a_review_of_the_benefit_rules_found(
    rated: RatedNames, passage: str, title: str, verdict: str, sentence: str, supported: bool
) -> None:
    result = SentenceVerifier(None).check(sentence, {1: CitedPassage(passage, title, verdict)}, rated)
    assert result.supported is supported, result.reason


@pytest.mark.parametrize(
    "sentence",
    [
        "Curfews have not lowered crime and reduced victimisation [1].",
        "No study has shown that Scared Straight deters youth and prevents crime [1].",
        "Curfews do not, however, reduce crime [1].",
        "Boot camps did not, despite high hopes, reduce reoffending [1].",
        "Control-group youths fared better than Scared Straight participants [1].",
    ],
)
def test_denials_the_new_rules_keep(sentence: str) -> None:
    from assistant.core.verification.verifier import _claims_benefit

    assert not _claims_benefit(sentence)
