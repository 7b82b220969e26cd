"""Check a written sentence against the passage it cites, for meaning and not only for words.

A sentence that reuses its passage's words can still reverse it ("Scared Straight reduced
offending [1]" against a passage saying it increased delinquency). So, besides asking
whether the sentence is close to the passage at all, the verifier compares what each says
on the points where a fluent writer goes wrong, in this order, and names the first that
fails:

- number: every number, in digits or words, is in the passage;
- program: every name or acronym is in the passage (or is the document's own name);
- who-where: every kind of person or place (youth, victims, schools, Canada...) is in it;
- verdict: a sentence saying a program works cannot cite a document rated harmful, no
  effect or mixed, or a passage that says the evidence cannot tell; nor the reverse;
- direction: an outcome moved the same way (down, up, unchanged) as in the passage;
- negation: what the sentence negates, the passage negates, and the reverse;
- strength: no "proven", "large", "always", "many studies" for a finding the passage hedges;
- detail: no cost, duration, funder, link or outcome the passage never mentions;
- support: enough of the sentence's content is in the passage, by words and by meaning;
- judge: a cross-encoder fine-tuned on labelled claims (judge.py) reads the sentence with the
  passage sentences it restates and the document's verdict, and does not find it unsupported.

Each check is a small function of two `Reading`s, so a rejection can always be explained.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.core.answering.linking import NamedProgram
from assistant.core.answering.text import INSTRUCTION, LINK, ROLE_MARKER, STOPWORDS
from assistant.core.embeddings import Embedder
from assistant.core.verification import lexicon as lx
from assistant.core.verification.judge import ClaimJudge, judge_input, verbatim_excerpt
from assistant.core.verification.reading import (
    SKIP_AFTER_NOT,
    Effect,
    Reading,
    clauses,
    group_of,
    outcome_keys,
    read,
    sentences,
    stem,
)

CITATION = re.compile(r"\[(\d{1,2})\]")
_INSTRUCTION = INSTRUCTION
__all__ = ["CITATION", "LINK", "ROLE_MARKER", "CitedPassage", "SentenceVerifier"]
NEGATIVE_VERDICTS = frozenset({"harmful", "no-effect", "mixed"})
POSITIVE_VERDICTS = frozenset({"effective", "promising"})
# rated so that no benefit may be claimed for them (a mixed program did improve some outcomes)
USELESS_VERDICTS = frozenset({"harmful", "no-effect"})
# Strength words a writer may use of a finding the passage does not hedge ("clear", "consistent").
_MILD_STRONG = frozenset({"clear", "clearli", "consist", "strong", "robust", "signific", "reliabl", "firm", "firmli"})


@dataclass(frozen=True)
class CitedPassage:
    """A passage as the verifier sees it: its text, and what is known of its document."""

    text: str
    title: str = ""
    verdict: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    sentence: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    check: str = "support"
    similarity: float = 0.0
    overlap: float = 0.0


class SentenceVerifier:
    """Decides whether a sentence says what its cited passages say (see the module docstring)."""

    def __init__(
        self,
        embedder: Embedder | None,
        min_similarity: float = 0.5,
        min_overlap: float = 0.6,
        cache_size: int = 512,
        names: frozenset[str] = frozenset(),
        judge: ClaimJudge | None = None,
        rated: Callable[[str], Sequence[NamedProgram]] | None = None,
    ) -> None:
        self.embedder = embedder
        # which programs a text names and their verdicts, when `check` is not given one (claim files)
        self.rated = rated
        # the learned second reader (judge.py): asked only about sentences every rule accepted
        self.judge = judge
        # proper names known from the evidence base, to recognise one that opens a sentence
        self.names = frozenset(n.lower() for n in names)
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def check(
        self,
        sentence: str,
        passages: Mapping[int, str | CitedPassage],
        rated: Callable[[str], Sequence[NamedProgram]] | None = None,
    ) -> Verdict:
        """`rated` (linking.RatedNames) tells which programs a text names and the evidence base's verdict on each."""
        rated = rated or self.rated
        cited = tuple(dict.fromkeys(int(n) for n in CITATION.findall(sentence)))
        claim_text = CITATION.sub("", sentence).strip()
        if not cited:
            return Verdict(sentence, cited, False, "cites no passage", "citation")
        unknown = [n for n in cited if n not in passages]
        if unknown:
            return Verdict(sentence, cited, False, f"cites passage [{unknown[0]}], which was not given", "citation")
        given = [p if isinstance(p, CitedPassage) else CitedPassage(str(p)) for p in (passages[n] for n in cited)]
        claim = read(claim_text)
        if not claim.content:
            return Verdict(sentence, cited, False, "says nothing checkable", "citation")
        passage = read("\n".join(p.text for p in given))
        joined = "\n".join(p.text for p in given)
        aligned = read(align(claim, clauses(joined)))
        sentence_of = read(align(claim, sentences(joined)))
        known_names = _names_of(given)
        named = list(rated(claim_text)) if rated is not None else []  # the programs the sentence names
        verdicts = {p.verdict for p in given if p.verdict}

        # Findings, names and numbers: a sentence failing one of these is dropped whatever the judge says.
        failure = (
            _numbers(claim, passage)
            or _injected(claim_text, passage.text)
            or _programs(claim, passage, known_names, self.names)
            or _credited(claim_text, sentence_of, passage)
            or _verdict(claim, passage, verdicts, named, given, rated)
            or _named_verdict(claim_text, claim, joined, named, rated)
            or _direction(claim, passage, aligned)
            or _swapped(claim, aligned, sentence_of)
            or _negation(claim, passage, aligned)
            or _against_verdict(claim, passage, verdicts)
        )
        if failure:
            check, reason = failure
            return Verdict(sentence, cited, False, reason, check)
        # Who and where, strength, added details and weak support: word-level checks that also reject
        # faithful rewordings ("pupils" for "children in class"); a judge sure of a sentence overrides them.
        doubt = (
            _who_where(claim, passage, aligned, _title_words(given))
            or _strength(claim, passage, sentence_of, verdicts)
            or _detail(claim, passage, known_names)
        )
        overlap = _overlap(claim, passage, known_names)
        similarity = 1.0
        if not doubt:
            # "Having received NCPS funding does not show that a project worked; having been funded also
            # increases the likelihood of success": a copied clause carried an invented one past the
            # judge, so beside a clause copied from the passage, each other clause is read on its own
            parts = _clauses_of(claim_text)
            copied = [p for p in parts if any(verbatim_excerpt(p, g.text) for g in given)]
            for part in (p for p in parts if copied and p not in copied):
                part_overlap = _overlap(read(part), passage, known_names)
                part_similarity = self._similarity(part, [p.text for p in given] + [aligned.text])
                marks = " ".join(f"[{n}]" for n in cited)
                alone = (
                    self.judge.support([judge_input(f"{part} {marks}", given)])[0] >= self.judge.threshold
                    if self.judge is not None
                    else self._supports(part_overlap, part_similarity)
                )
                if not alone:
                    shown = part if len(part) <= 60 else part[:57] + "..."
                    reason = f"beside a clause copied from the passage, the clause '{shown}' is not supported by it"
                    return Verdict(sentence, cited, False, reason, "support", part_similarity, part_overlap)
            similarity = self._similarity(claim_text, [p.text for p in given] + [aligned.text])
            if not self._supports(overlap, similarity):
                doubt = ("support", f"weak support (overlap {overlap:.2f}, similarity {similarity:.2f})")
        if self.judge is None:
            if doubt:
                return Verdict(sentence, cited, False, doubt[1], doubt[0], similarity, overlap)
            return Verdict(sentence, cited, True, "supported", "support", similarity, overlap)
        if not doubt and any(verbatim_excerpt(claim_text, p.text) for p in given):
            return Verdict(sentence, cited, True, "supported (a verbatim excerpt)", "support", similarity, overlap)
        score = self.judge.support([judge_input(sentence, given)])[0]
        if doubt:
            # a sentence giving a program rated harmful or no effect a benefit keeps the rules' doubt: the judge,
            # sure of "ShotSpotter helps officers catch shooters", is not what a council should be told on
            praises_useless = bool(verdicts & USELESS_VERDICTS) and _claims_benefit(claim_text)
            if score >= self.judge.override and not praises_useless:
                reason = f"supported: the judge is sure (score {score:.2f}) where the {doubt[0]} check doubted"
                return Verdict(sentence, cited, True, reason, "judge", similarity, overlap)
            return Verdict(sentence, cited, False, doubt[1], doubt[0], similarity, overlap)
        if score < self.judge.threshold:
            reason = (
                f"the judge reads the passage as not saying this (score {score:.2f}, "
                f"threshold {self.judge.threshold:.2f})"
            )
            return Verdict(sentence, cited, False, reason, "judge", similarity, overlap)
        return Verdict(sentence, cited, True, "supported", "support", similarity, overlap)

    def _supports(self, overlap: float, similarity: float) -> bool:
        return (overlap >= self.min_overlap and similarity >= self.min_similarity * 0.8) or (
            similarity >= self.min_similarity and overlap >= self.min_overlap * 0.6
        )

    def attribute(self, sentence: str, passages: Mapping[int, str | CitedPassage]) -> str | None:
        """The sentence cited to the given passage it is about, or None. A writer that leaves a sentence
        uncited (small models often do) gets it checked like a cited one, against one passage: among those
        whose program the sentence names (title or alias), the closest. One chance, as if the writer had
        cited it; and a sentence that names no program ("No: the evidence is mixed.") is never placed,
        since the passage it happens to fit may be about another program than the one asked about."""
        claim_text = CITATION.sub("", sentence).strip()
        if CITATION.search(sentence) or not read(claim_text).content:
            return None
        said = _plain(claim_text)
        named = {
            n: p
            for n, p in passages.items()
            if isinstance(p, CitedPassage) and any(f" {name} " in said for name in _program_names(p))
        }
        if not named:
            return None
        # a heading or a bare name ("Community safety and well-being (CSWB) planning") says nothing about it
        rest = said
        for name in sorted({n for p in named.values() for n in _program_names(p)}, key=len, reverse=True):
            rest = rest.replace(f" {name} ", " ")
        if len(read(rest).content) < 2:
            return None
        best = max(named, key=lambda n: (self._similarity(claim_text, [named[n].text]), -n))
        end = re.search(r"[.!?]*\s*$", claim_text)
        cut = end.start() if end else len(claim_text)
        return f"{claim_text[:cut]} [{best}]{claim_text[cut:]}"

    def _similarity(self, claim: str, texts: list[str]) -> float:
        if self.embedder is None:
            return 1.0  # words alone decide
        missing = [t for t in dict.fromkeys([claim, *texts]) if t not in self._vectors]
        if missing:
            vectors = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > self._cache_size:
                    self._vectors.popitem(last=False)
        with self._lock:
            q = self._vectors.get(claim)
            others = [self._vectors.get(t) for t in texts]
        if q is None or any(v is None for v in others):  # evicted by another thread; recompute directly
            assert self.embedder is not None
            vectors = np.asarray(self.embedder.embed_documents([claim, *texts]), dtype=np.float32)
            q, others = vectors[0], list(vectors[1:])
        return float(max(float(q @ v) for v in others if v is not None))


Failure = tuple[str, str] | None


def _clauses_of(text: str) -> list[str]:
    """The clauses of a sentence joined by semicolons, when there are two or more that each say something."""
    parts = [p.strip() for p in text.split(";")]
    if len(parts) < 2 or any(len(read(p).content) < 3 for p in parts):
        return []
    return parts


def _plain(text: str) -> str:
    """Lower case, dots of acronyms dropped, other punctuation as spaces, padded: ' dare works '."""
    text = re.sub(r"(?<=\w)\.(?=\w)", "", text.lower()).replace(".", " ")
    return " " + " ".join(re.sub(r"[^\w'-]+", " ", text).split()) + " "


def _program_names(passage: CitedPassage) -> list[str]:
    """What a sentence may call the passage's program: its title (with and without a bracketed acronym),
    the acronym, and its aliases."""
    title = passage.title.strip()
    forms = [title, re.sub(r"\s*\([^)]*\)", "", title), *re.findall(r"\(([^)]{2,12})\)", title), *passage.aliases]
    return [plain.strip() for plain in dict.fromkeys(_plain(f) for f in forms if f.strip()) if plain.strip()]


def align(claim: Reading, units: list[str]) -> str:
    """The unit of the passage that the sentence restates: most shared concepts, numbers weighing double.

    The names the sentence uses do not count: every sentence of a passage names its program, and
    what tells the restated finding apart is the rest.
    """
    if len(units) <= 1:
        return units[0] if units else ""
    mine = _concepts(claim) - {stem(n) for n in claim.names} - {c.upper() for c in claim.populations | claim.places}
    best, best_score = units[0], -1.0
    for unit in units:
        r = read(unit)
        score = len(mine & _concepts(r)) + 2 * len(claim.numbers & r.numbers)
        if score > best_score:
            best, best_score = unit, score
    return best


def _title_words(given: list[CitedPassage]) -> set[str]:
    """The words of the cited documents' titles (not their aliases, which may name other groups)."""
    return {w.lower() for p in given for w in re.findall(r"[\w'-]+", p.title)}


def _names_of(given: list[CitedPassage]) -> set[str]:
    names: set[str] = set()
    for p in given:
        for text in (p.title, *p.aliases):
            names |= read(text).names | {w.lower().replace(".", "") for w in re.findall(r"[\w.&'-]+", text)}
    return names


def _numbers(claim: Reading, passage: Reading) -> Failure:
    extra = sorted(
        n
        for n in claim.numbers
        if n not in passage.numbers
        and not _number_in(n, passage.text)
        and not (" in " in n and "%" in passage.text)  # "two in five" for "38%": a proportion restated
    )
    if extra:
        return "number", f"states {extra[0]}, a number the passage does not contain"
    return None


def _number_in(n: str, text: str) -> bool:
    digits = text.replace(",", "")
    return bool(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", digits))


def _injected(claim_text: str, passage_text: str) -> Failure:
    for match in LINK.finditer(claim_text):
        if match.group(0).lower().rstrip(".,") not in passage_text.lower():
            return "detail", f"adds a link or address ({match.group(0)}) that the passage does not give"
    instruction = _INSTRUCTION.search(claim_text)
    if instruction and instruction.group(0).lower() not in passage_text.lower():
        return "detail", f"carries an instruction ('{instruction.group(0)}') that is not in the passage"
    return None


def _programs(claim: Reading, passage: Reading, known: set[str], gazetteer: frozenset[str]) -> Failure:
    lowered = " ".join(passage.words).lower().replace(".", "")
    passage_stems = set(passage.stems)

    def mentioned(name: str) -> bool:
        if name in passage.names or name in known or stem(name) in passage_stems:
            return True
        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", lowered):
            return True
        if "-" in name:
            parts = [p for p in name.split("-") if p and p not in _NAME_SUFFIXES]
            return bool(parts) and all(mentioned(p) for p in parts)
        return False

    candidates = claim.names | {w for w in claim.openings if w in gazetteer}
    for name in sorted(candidates):
        if mentioned(name):
            continue
        if name in _CLASS_WORDS or name in lx.COUNTRY_OF:
            continue  # people and countries: the who-where check compares them
        return "program", f"names '{name}', which the passage does not mention"
    return None


_NAME_SUFFIXES = frozenset({"style", "like", "type", "based", "led", "run", "wide", "funded", "era"})
# names that are also people or countries the who-where check compares ("Canadian", "British"); a
# province or city is a name of its own ("Ontario" is not "Manitoba")
_CLASS_WORDS = frozenset(
    w.replace(".", "")
    for ws in (*lx.POPULATION_CLASSES.values(), *(lx.PLACE_CLASSES[c] for c in lx.COUNTRY_CLASSES))
    for w in ws
    if w not in lx.REGION_NAMES
)


def _who_where(claim: Reading, passage: Reading, aligned: Reading, known: Set[str] = frozenset()) -> Failure:
    """A kind of person or place the passage never names, or a different one than the finding's own.

    A class named by the document's own title ("after-school programs": schools) is the program's
    name, not a claim about who or where."""
    titled = set(known) | {part for k in known for part in k.split("-")}
    theirs_lower = {w.lower() for w in passage.words}
    for w in claim.words:
        lw = w.lower()
        if "-" in lw and lw not in theirs_lower:
            head, _, tail = lw.rpartition("-")
            sibling = next((t for t in theirs_lower if t.endswith("-" + tail) and t != lw), None)
            if sibling and tail in {"risk", "income", "level", "age", "aged", "year-old", "old", "school"}:
                return "who-where", f"speaks of {lw}; the passage says {sibling}"
    for label, mine, theirs, near in (
        ("people", claim.populations, passage.populations, aligned.populations),
        ("place", claim.places, passage.places, aligned.places),
    ):
        implied = _IMPLIED[label]
        classes = lx.POPULATION_CLASSES if label == "people" else lx.PLACE_CLASSES
        for e in sorted(mine):
            if any(w in titled for w in classes.get(e, ())):
                continue
            if (
                e not in theirs
                and not (implied.get(e, set()) & theirs)
                and not (label == "place" and e == "schools" and passage.populations & {"pupils", "teachers"})
            ):
                return "who-where", f"speaks of {e} ({label}), which the passage does not"
            # the finding the sentence restates names other people or places than the sentence does
            if near and e not in near and not (implied.get(e, set()) & near) and not (mine & near):
                return "who-where", f"speaks of {e} ({label}); the passage reports that finding for {sorted(near)[0]}"
    return None


# A class the passage implies without naming it: parents and pupils are people of families and schools.
_IMPLIED: dict[str, dict[str, set[str]]] = {
    "people": {
        "youth": {"children", "pupils", "teens"},
        "teens": {"youth", "pupils"},
        "children": {"pupils"},
        "pupils": {"children", "youth", "teens"},
    },
    "place": {"schools": set(), "homes": set(), "canada": set()},
}


def _stance(reading: Reading, verdicts: set[str]) -> str | None:
    """What a passage says of the program overall: positive, negative, uncertain, or nothing."""
    if verdicts & NEGATIVE_VERDICTS or (reading.explicit_verdict in NEGATIVE_VERDICTS):
        return "negative"
    signs = {e.sign for e in reading.effects}
    if reading.fails or (signs and signs <= {0, -1}):
        return "negative"
    if verdicts & POSITIVE_VERDICTS or reading.explicit_verdict in POSITIVE_VERDICTS or 1 in signs:
        return "positive"
    if reading.cannot_tell:
        return "uncertain"
    return None


_UNTESTED = re.compile(
    r"\b(?:did|does|do|was|were|has|have|had)\s*(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?"
    r"(?:test|measure|examine|look at|assess|report|study|studie|evaluate)\w*|\bnot\s+(?:yet\s+)?(?:been\s+)?"
    r"(?:tested|measured|examined|assessed|studied|evaluated|reported)\b"
)


def _untested(claim: Reading, passage: Reading) -> Failure:
    """'an effective way to reduce crime' citing 'a crime-reduction effect has not been shown; the review
    did not test effects on crime': an effect on an outcome the passage says was not shown or not tested."""
    moved = {e.outcome for e in passage.effects if e.sign != 0 and e.outcome}
    moved_keys = {lx.OUTCOME_SYNONYMS.get(o, o) for o in moved}
    untested: set[str] = set()
    for clause in clauses(passage.text):
        lowered = clause.lower()
        if _UNTESTED.search(lowered) or any(p.search(lowered) for p in _CANNOT_TELL_CLAUSE):
            untested |= outcome_keys(read(clause))
    for effect in claim.effects:
        if effect.sign == 0 or not effect.outcome:
            continue
        key = lx.OUTCOME_SYNONYMS.get(effect.outcome, effect.outcome)
        if key in untested and key not in moved_keys:
            return "verdict", f"states an effect on {key}, which the passage says was not shown or not tested"
    return None


_CANNOT_TELL_CLAUSE = [re.compile(p) for p in lx.CANNOT_TELL_PATTERNS if "mixed" not in p]


def _praises_others(
    named: Sequence[NamedProgram], given: list[CitedPassage], rated: Callable[[str], Sequence[NamedProgram]]
) -> bool:
    """The sentence says which other programs work ("hot spots policing and problem-oriented policing are better
    supported than stop and frisk"): it names programs rated effective or promising that no cited document is
    about, and names the cited documents' own programs only as a contrast, if at all."""
    cited = {p.document_id for g in given if g.title for p in rated(g.title)}
    named = [p for p in named if not p.contrasted]
    return (
        any(p.verdict in POSITIVE_VERDICTS and p.document_id not in cited for p in named)
        and not any(p.document_id in cited for p in named)
        and not any(p.verdict in NEGATIVE_VERDICTS for p in named)
    )


def _verdict(
    claim: Reading,
    passage: Reading,
    verdicts: set[str],
    named: Sequence[NamedProgram] = (),
    given: list[CitedPassage] | None = None,
    rated: Callable[[str], Sequence[NamedProgram]] | None = None,
) -> Failure:
    untested = _untested(claim, passage)
    if untested:
        return untested
    stance = _stance(passage, verdicts)
    # a sentence pointing from a program rated harmful, no effect or mixed to better-supported ones is not
    # about the cited program (asked only of a sentence saying something works)
    # "councils can rely on it to...", "it helps keep girls out of gangs", citing a program rated harmful or no
    # effect whose passage reports no benefit of any kind: a claim that it works, whatever name it goes by
    works = (
        claim.works
        or (
            bool(verdicts & USELESS_VERDICTS)
            and _claims_benefit(claim.text)
            and not any(
                # a benefit the passage gives a program rated well ("diversion reduced reoffending") is not its own
                _credits(s, claim.text) and not (rated and any(p.verdict in POSITIVE_VERDICTS for p in rated(s)))
                for s in sentences(passage.text)
            )
        )
    ) and not claim.fails
    elsewhere = (
        works
        and bool(verdicts & NEGATIVE_VERDICTS)
        and rated is not None
        and _praises_others(named, given or [], rated)
    )
    if works and not elsewhere:
        if stance == "negative":
            which = next(iter(verdicts & NEGATIVE_VERDICTS), None) or passage.explicit_verdict
            rating = f"rated {which}" if which else "that reports no benefit or harm"
            return "verdict", f"says or implies the program works, citing a passage {rating}"
        if stance in ("uncertain", None) and passage.cannot_tell:
            return "verdict", "says the program works, citing a passage that says the evidence cannot tell"
    if (
        passage.cannot_tell
        and any(e.sign != 0 for e in claim.effects)
        and not any(e.sign != 0 and e.outcome != "effect-size" for e in passage.effects)
    ):
        return "verdict", "states an effect, citing a passage that says the evidence cannot tell"
    if claim.fails and not claim.works and stance == "positive" and not passage.fails:
        return "verdict", "says the program does not work or harms, citing a passage that reports benefits"
    return None


def _named_verdict(
    text: str,
    claim: Reading,
    passage: str,
    named: Sequence[NamedProgram],
    rated: Callable[[str], Sequence[NamedProgram]] | None,
) -> Failure:
    """A sentence saying a program works, or that it helped, while naming (not as a contrast: "unlike
    D.A.R.E.") a program this evidence base rates harmful, no effect or mixed: dropped whatever document
    it cites, so that no citation can carry "D.A.R.E. keeps pupils off drugs". Only a passage sentence
    that itself names that program with a benefit ("disorder policing cut crime when ...") lets it stand."""
    if rated is None or claim.fails:
        return None
    negative = [p for p in named if p.verdict in NEGATIVE_VERDICTS and not p.contrasted]
    if not negative:
        return None
    credited = {p.document_id for unit in sentences(passage) if _credits(unit, text) for p in rated(unit)}
    for program in negative:
        if program.document_id in credited:
            continue
        # a mixed program did improve some outcomes: only a harmful or no-effect one is never said to help
        if claim.works or (program.verdict in USELESS_VERDICTS and _claims_benefit(text)):
            return "verdict", (
                f"says or implies a program works while naming {program.name}, rated {program.verdict} in this "
                "evidence base"
            )
    return None


# What a sentence says a program did for people, read only when it names a program rated harmful, no
# effect or mixed: there, even "keeps pupils off drugs" or "deters young people" is a claim that it works. A
# passage sentence is read with these words only (`_reports_benefit`), the claim with `_CLAIMED` as well.
_BENEFIT = re.compile(
    r"\b(?:keeps?|kept|keeping)\b[^.;]{0,40}?\b(?:off|out of|away from|safe|"
    r"from (?:committing|offending|re-?offending|crime))\b"
    r"|\b(?:deter|deters|deterred|deterring|prevents?|prevented|preventing|stops?|stopped|protects?|protected|"
    r"steers?(?! clear)|steered(?! clear)|diverts?|diverted|reduces?|reduced|reducing|cuts?|lowers?|lowered|"
    r"curbs?|curbed|"
    r"improves?|improved|improving|benefit(?:s|ed)?|succeeds?|succeeded|pays? off|paid off|"
    # "councils can rely on curfews to...", "helps make streets safer"
    r"(?:can|could|may|might|will|would|should) (?:rely|count|depend) on|helps|helped|help|safer)\b"
    r"|\bturn(?:s|ed)?\b[^.;]{0,30}?\baround\b"
    r"|\b(?:brings?|brought|keeps?|kept)\b[^.;]{0,30}?\b(?:under control|in check)\b"
)
_OUTCOME = (
    r"(?:crimes?|offen[cs]es|offending|reoffending|recidivism|delinquency|violence|shootings?|gunfire|thefts?|"
    r"burglar\w*|drug use|arrests?|re-arrests?|victimi\w+|deaths|disorder|incidents|injuries|complaints)\b"
)
# How an assistant also says a program did good, read in claims only (a passage's "was outperformed by" or
# "is widely regarded as ineffective" is no benefit): an improved outcome ("a lasting reduction in offending",
# "fewer shootings", "lower rates of reoffending"), a mechanism, a value, an endorsement, a comparison, advice
_CLAIMED = re.compile(
    r"\b(?:reductions?|declines?|drops?|falls?|decreases?)\s+(?:in|of)\s+(?:[\w-]+\s+){0,2}?"
    + _OUTCOME
    + r"|\b(?:fewer|lower|less)\s+(?:(?:rates?|levels?|numbers?)\s+of\s+)?"
    r"(?:youth\s+|violent\s+|gun\s+|firearm\s+|property\s+|repeat\s+|drug\s+|street\s+)?"
    + _OUTCOME
    + r"|\b(?:leads?|led|leading|results?|resulted|contribut\w*)\s+(?:to|in)\b[^.;]{0,40}?"
    r"\b(?:lasting|fewer|lower|less|reduc\w*|declin\w*|drops?|turnaround|resistance|improv\w*|safer|better|calmer)\b"
    r"|\bworks?\s+because\b|\binterrupt(?:s|ed|ing)?\s+(?:the\s+|a\s+)?(?:chain|cycle|pattern|spread|flow|supply)\b"
    r"|\bbreak\w*\s+the\s+(?:cycle|habits?|chain)\b|\bturnaround\b"
    r"|\bpays?\s+for\s+itself\b|\b(?:low-cost|cost-effective|inexpensive|cheap|affordable)\s+(?:way|means|tool)\b"
    r"|\bbacked\s+by\s+(?:research|evidence|studies|data)\b"
    # "leaves offenders less likely to reoffend", "participants were less likely to be arrested"
    r"|\b(?:less|fewer|un)\s*likely\s+to\s+(?:re-?offend|offend|commit|be\s+(?:re-?)?(?:arrested|convicted|charged)|"
    r"return\s+to|use|join|carry|reoffend)\b"
    # "brings down serious crime", "helped drive gun violence down" (claims only: a passage's "pushes
    # participants down the path to offending" or "drove costs down" credits nothing)
    r"|\b(?:brings?|brought|bringing|drives?|drove|driving)\s+(?:[\w-]+\s+){0,3}?down\b"
    # "turning young offenders away from crime", "discourage some of them from offending"
    r"|\bturn(?:s|ed|ing)?\b[^.;]{0,30}?\baway\s+from\s+(?:crime|offending|gangs?|drugs|violence|trouble)\b"
    r"|\b(?:discourag|dissuad)\w*\b[^.;]{0,30}?\bfrom\s+(?:crime|offending|re-?offending|joining|using|committing)\b"
    # "stacks up favourably against", "compares well with" (not "fared better than", which may be said of the
    # comparison group)
    r"|\b(?:stack(?:s|ed)?\s+up|compares?|compared)\s+(?:very\s+|quite\s+)?(?:well|favou?rably)\b"
    # "saw a marked decline in crime", "achieved a reduction in reoffending"
    r"|\b(?:saw|sees?|seen|recorded|observed|achieved|produced|delivered|yielded)\s+(?:an?\s+|the\s+|some\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:declines?|drops?|reductions?|decreases?|improvements?|falls?)\s+(?:in|of)\s+"
    r"(?:[\w-]+\s+){0,2}?"
    + _OUTCOME
    + r"|\b(?:delivers?|delivered)\s+results\b|\bsmart\s+(?:use|investment|choice)\b|\bbest\s+practice\b"
    r"|\bproven\s+(?:model|approach|program|programme|strategy|tool|way)\b|\b(?:research|evidence|data)\s+backs?\b"
    r"|\b(?:one\s+of|among)\s+the\s+(?:better|best|(?:more|most)\s+(?:effective|successful|promising|"
    r"(?:well-|better-|best-)?supported|evidence-based|proven|cost-effective|useful|valuable))\b"
    r"|\bstay(?:s|ed)?\s+out\s+of\b"
    # "looks like a promising route", "has shown promise": a verdict word said of the program
    r"|\b(?:looks?|looked|seems?|seemed|appears?|appeared|is|are|was|were|remains?|proved|proven)\s+(?:like\s+)?"
    r"(?:an?\s+|the\s+)?(?:(?:very|highly|really|quite)\s+)?(?:promising|effective|successful|worthwhile|valuable)\b"
    r"|\b(?:show(?:s|n|ed)?|holds?|held)\s+(?:real\s+|some\s+|great\s+|considerable\s+)?promise\b"
    r"|\bwidely\s+(?:recogni[sz]ed|regarded)\s+as\s+(?:an?\s+|the\s+)?(?:effective|successful|proven|model|best|"
    r"leading|valuable|good)\b"
    r"|\b(?:outperforms?|outperformed(?!\s+by)|more\s+effective\s+than)\b"
    # "should consider funding it", not "should consider ending it"
    r"|\b(?:should\s+(?:consider|encourage|push|press|lobby)|advocat\w*\s+for)\b(?!\s+(?:ending|removing|dropping|"
    r"stopping|scrapping|cancel\w*|phasing|abolish\w*|replacing|limiting|alternatives|other|instead|whether|the\s+risks?))"
    r"|\b(?:consider|worth)\s+(?:funding|adopting|installing|running|using|equipping|expanding|introducing|deploying)\b"
)
# "aims to deter", "was meant to keep", "the idea is that ... prevents": what a program intends, not does
_INTENT_OR_DENIAL = re.compile(
    r"\b(?:aim\w*|meant|intend\w*|design\w*|idea|hop\w*|expect\w*|supposed|tr(?:y|ies|ied)|goal|purpose|"
    r"seeks?|sought|claim\w*|belie[fv]\w*|premise|thought|assum\w*|logic|rationale|theor\w*|"
    # "promised to cut crime", "the promise of", not "a promising route" or "has shown promise"
    r"promis(?:ed|es)|promise\s+(?:to|of|that)|"
    r"not|no|never|nor|neither|without|cannot|"
    r"fail\w*|little|nothing|whether|unlikely|yet to|exclud\w*|rul\w+ out|"
    r"non-?significant|insignificant|negligible)\b"
)
# "homework help", "offers help": the noun; "support and help for girls" too, but not "and help students"
_HELP_NOUN = re.compile(
    r"\b(?:with|the|for|of|homework|some|any|extra|more|get|gets|got|seek|seeking|offer|offers|offered|"
    r"provide|provides|provided|need|needs|needed|ask|asks|asked|as well as|no|little|what)\s+$"
)
_HELP_NOUN_AFTER_AND = re.compile(r"\b(?:and|or)\s+$")
_HELP_NOUN_NEXT = re.compile(r"^\s+(?:for|with|from|in|on)\b")
_BREAK = re.compile(r"(?<!\b[a-z])\.\s|[;:]\s")  # not the dots of "D.A.R.E." (lowered): "d.a.r.e. to reduce"
_NO_MORE = re.compile(r"^[^.;]{0,40}?\b(?:no|not|little|nothing)\s+(?:more|better|less|further)\b")
_TURN = re.compile(
    r",\s*(?:but|yet)\s+(?!not\b)"
    r"|^\s*(?:although|though|while|whilst|even if|even where|even when|even though|whereas|despite)\b[^,;]*,\s*"
)
# "while boot camps may look promising, they did not...": a benefit inside a concession is conceded, not claimed
_CONCEDED = re.compile(r"^\s*(?:although|though|while|whilst|even if|even though|despite)\b[^,;]*$")
# "rather than reducing crime, it moved it": the benefit is the alternative denied; "locking them up rather than
# supervising them lowers conviction rates" claims one
_RATHER = re.compile(r"\b(?:rather than|instead of)\s+(?:actually\s+|really\s+)?$")
_RATHER_ANYWHERE = re.compile(r"\b(?:rather than|instead of)\b")
_FINITE = re.compile(r"(?!(?:was|is|has|does|less|this|thus)\b)\w{3,}(?:s|ed)\b")
_DENIED_VERB = re.compile(r"\b(?:does|do|did)\s+not\b")  # "has not lowered crime and reduced..." shares "has"
_COMPLEMENT = re.compile(r"\b(?:no|that|whether|if|nothing|never|without|showing|shown)\b")
_NEW_VERB = re.compile(r"(?:,\s*|\s)(?:and|but)\s+(?:also\s+|even\s+|actually\s+)?$")
# how far back a benefit word looks for what sets it aside: a sentence's worth, so that a 20,000-character
# passage costs each match a window, not its whole prefix
_WINDOW = 300


def _is_help_noun(lowered: str, match: re.Match[str]) -> bool:
    if not match.group(0).startswith("help"):
        return False
    before = lowered[max(0, match.start() - 40) : match.start()]
    return bool(
        _HELP_NOUN.search(before)
        or (_HELP_NOUN_AFTER_AND.search(before) and _HELP_NOUN_NEXT.match(lowered[match.end() : match.end() + 10]))
    )


def _benefit_set_aside(lowered: str, match: re.Match[str], whole_sentence: bool) -> bool:
    """An intent, doubt or denial before the benefit (in its clause, or anywhere in the sentence), inside it
    ("resulted in no lasting drop"), or "no more than" after it."""
    window = lowered[max(0, match.start() - _WINDOW) : match.start()]
    if not whole_sentence:
        window = window[max((m.end() for m in _BREAK.finditer(window)), default=0) :]
        if (
            _NEW_VERB.search(window)
            and _FINITE.match(match.group(0))
            and _DENIED_VERB.search(window)
            and not _COMPLEMENT.search(window)
        ):
            # "does not harm participants and helps reduce delinquency": a verb of its own after "and" is a
            # new claim, which the denial before it does not govern ("did not harm or reduce" shares it)
            window = ""
        # "although buy-backs may not lower gun crime overall, they do reduce...", "might not lower crime, but it
        # reduces...": a concession or a contrast ends what its denial governs
        window = window[max((m.end() for m in _TURN.finditer(window)), default=0) :]
    inside = match.group(0)[len(match.group(0).split()[0]) :]  # "no" in "resulted in no lasting drop"
    return bool(
        _RATHER.search(window[-40:])
        # a passage's "best seen as punishment rather than as a program that reduces reoffending"
        or (whole_sentence and _RATHER_ANYWHERE.search(window))
        or (not whole_sentence and _CONCEDED.search(window))
        or _INTENT_OR_DENIAL.search(window)
        or _INTENT_OR_DENIAL.search(inside)
        or _NO_MORE.search(lowered[match.end() : match.end() + 60])
    )


# "examined disorder policing as a way to reduce crime": a purpose a study looked at, not a result
_AS_A_WAY = re.compile(r"\b(?:as an? (?:way|means) to|in order to|so as to)\s+$")


def _claims_benefit(text: str) -> bool:
    """Whether a sentence says something did people good: a benefit word or phrase with no intent, doubt or
    denial earlier in its clause ("was meant to deter", "does not show ... prevents") or a "no more than" after."""
    lowered = text.lower().replace("n't", " not")
    for pattern in (_BENEFIT, _CLAIMED):
        for match in pattern.finditer(lowered):
            if _is_help_noun(lowered, match) or _AS_A_WAY.search(lowered[max(0, match.start() - 30) : match.start()]):
                continue
            if not _benefit_set_aside(lowered, match, whole_sentence=False):
                return True
    return False


# "assigned to schools to keep students safe and prevent crime", "meant to prevent crime in two ways: by
# keeping...": what a program is for, which a passage says of harmful programs too; only a finding credits a
# program with a benefit
_PURPOSE = re.compile(r"\b(?:to|in order to|so as to)\s+$|\bto\s+(?:[\w-]+\s+){1,6}?(?:and|or)\s+$")


@lru_cache(maxsize=4096)
def _reports_benefit(text: str) -> bool:
    """Whether a passage sentence reports that a program did people good: a benefit word that is not what the
    program is for ("to keep students safe and prevent crime") and follows no intent, doubt or denial anywhere
    in its sentence."""
    lowered = text.lower().replace("n't", " not")
    for match in _BENEFIT.finditer(lowered):
        purpose = _PURPOSE.search(lowered[max(0, match.start() - 80) : match.start()])
        if purpose or _is_help_noun(lowered, match) or _benefit_set_aside(lowered, match, whole_sentence=True):
            continue
        if match.group(0).startswith("benefit") and _DENIED_AFTER.match(lowered[match.end() : match.end() + 60]):
            continue  # "that overall benefit should not be credited to zero-tolerance tactics"
        return True
    return False


# "lowered crime only when it was done through community partnerships", "reduced crime when police used
# problem-solving": a benefit under a condition, which a claim leaving the condition out does not have
_CONDITION = re.compile(
    r"\bonly\s+(?:when|if|where|through|for|in|as|under|with|among|at)\b|\b(?:when|whenever|if|unless|provided|where)\b"
)
_CONDITION_CLAIMED = re.compile(
    r"\b(?:only|when|whenever|if|unless|provided|where|through|combined|paired|alongside|as part of|depend\w*)\b"
)


_CONDITION_FILLER = frozenset({"through", "police", "policing", "program", "programs", "crime", "studies", "places"})


def _credits(sentence: str, claim_text: str) -> bool:
    """Whether a passage sentence gives the benefit a claim gives: it reports one, and when that benefit
    holds only under a condition, the claim states a condition in some of the passage's own words for it.
    Whether the sentence reports a benefit does not depend on the claim, so it is read once (cached):
    each claim's verdict checks read every sentence of its passage, twice."""
    if not _reports_benefit(sentence):
        return False
    lowered = sentence.lower()
    condition = _CONDITION.search(lowered)
    if not condition:
        return True
    # what the condition asks ("done through community partnerships and problem-solving at specific places"),
    # up to a denial of the alternative (", not through zero-tolerance arrests"): the claim must carry some of it
    asked = re.split(r",?\s+(?:not|rather than|instead of|but)\b", lowered[condition.end() :], maxsplit=1)[0]
    words = {w for w in re.findall(r"[a-z][a-z-]{5,}", asked) if w not in _CONDITION_FILLER}
    claimed = claim_text.lower()
    return bool(_CONDITION_CLAIMED.search(claimed)) and (not words or any(w in claimed for w in words))


# a benefit named, then denied: "that benefit should not be credited to", "the benefit was not significant"
_DENIED_AFTER = re.compile(r"^[^.;,]{0,40}?\b(?:not|never|no)\b(?!\s+only)")


# Words whose swap reverses a finding while every other word stays ("gave the best protection" ->
# "gave the weakest protection"); each side is a set of stems.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(a.split()), frozenset(b.split()))
    for a, b in (
        ("improv better strengthen", "wors worsen weaken"),
        ("increas rise rose risen rais climb jump", "decreas reduc fall fell fallen declin drop cut"),
        ("higher high", "lower low"),
        ("more", "less fewer"),
        ("greater larger bigger", "smaller lesser"),
        ("best strongest most", "worst weakest least"),
        ("posit favour favor", "negat unfavour unfavor advers"),
        ("benefit gain", "harm loss"),
        ("stronger", "weaker"),
        ("buy bought purchas", "sell sold"),
        ("toward", "away"),
        ("befor", "after"),
    )
)


def _swapped(claim: Reading, aligned: Reading, sentence: Reading) -> Failure:
    """A sentence that restates the passage's finding word for word but for one word turned into its
    opposite: the passage has the opposite and not the word, the sentence the word and not the opposite."""
    mine = set(claim.stems)
    theirs = set(aligned.stems) | set(sentence.stems)
    if len(_concepts(claim) & (_concepts(aligned) | _concepts(sentence))) < 3:
        return None  # not a near copy of that finding: the effects decide
    for a, b in _OPPOSITES:
        for side, other in ((a, b), (b, a)):
            said = mine & side
            if said and not (mine & other) and (theirs & other) and not (theirs & side):
                word = sorted(said)[0]
                return "direction", f"says '{word}' where the finding it restates says '{sorted(theirs & other)[0]}'"
    return None


def _against_verdict(claim: Reading, passage: Reading, verdicts: set[str]) -> Failure:
    """A named outcome moved the other way than anything the passage reports, against its verdict:
    'drove up aggressive behaviour' citing a promising program's passage that reports a benefit."""
    stance = _stance(passage, verdicts)
    moved = [e for e in claim.effects if e.outcome and e.outcome != "risk" and not e.comparative]
    if stance == "negative" and any(e.sign == 1 for e in moved) and not any(e.sign == 1 for e in passage.effects):
        return "verdict", "says an outcome improved, citing a passage that reports no benefit"
    if (
        stance == "positive"
        and any(e.sign == -1 for e in moved)
        and not any(e.sign == -1 for e in passage.effects)
        and not passage.fails
    ):
        return "verdict", "says an outcome worsened, citing a passage that reports benefits and no harm"
    return None


def _direction(claim: Reading, passage: Reading, aligned: Reading) -> Failure:
    for effect in claim.effects:
        if effect.sign == 0 and any(
            e.outcome == effect.outcome and e.sign != 0 for e in claim.effects
        ):  # "did not reduce delinquency; it increased it": the other effect says which way
            continue
        matches = _matching(effect, aligned.effects, passage.effects)
        if matches is None and claim.numbers & aligned.numbers:
            # "disorderly conduct fell by 29.4%" against "crime jumped, ... 29.4% for disorderly conduct":
            # the number says which finding the sentence restates
            matches = [e for e in aligned.effects if e.sign != 0 and e.outcome != "effect-size"] or None
        if matches is None:
            continue
        if (
            effect.sign == 0
            and _null_elsewhere(effect, passage.effects)
            and not _same_outcome(effect, [e for e in aligned.effects if e.sign != 0])
        ):
            continue  # "it did not reduce crime", said in another clause than the one aligned
        if effect.sign not in {m.sign for m in matches}:
            said = {1: "improved", -1: "worsened", 0: "did not change"}
            theirs = sorted({said[m.sign] for m in matches})
            what = effect.outcome or "the outcome"
            check = "negation" if effect.sign == 0 or 0 in {m.sign for m in matches} else "direction"
            return check, f"says {what} {said[effect.sign]}; the passage says it {' or '.join(theirs)}"
    return None


def _same_outcome(effect: Effect, effects: list[Effect]) -> bool:
    key = lx.OUTCOME_SYNONYMS.get(effect.outcome or "", effect.outcome)
    return any(e.outcome and lx.OUTCOME_SYNONYMS.get(e.outcome, e.outcome) == key for e in effects)


def _null_elsewhere(effect: Effect, everywhere: list[Effect]) -> bool:
    if effect.outcome is None:
        return False
    key = lx.OUTCOME_SYNONYMS.get(effect.outcome, effect.outcome)
    return any(e.sign == 0 and e.outcome and lx.OUTCOME_SYNONYMS.get(e.outcome, e.outcome) == key for e in everywhere)


def _matching(effect: Effect, near: list[Effect], everywhere: list[Effect]) -> list[Effect] | None:
    """The passage's effects on the same outcome: the same word near the restated finding, then
    anywhere, then the same family of outcomes; None when the passage says nothing of it."""
    if effect.outcome is None:
        if effect.sign == 0:
            return None
        return [e for e in near if e.outcome is None] or None
    key = lx.OUTCOME_SYNONYMS.get(effect.outcome, effect.outcome)
    for theirs in (near, everywhere):
        same = [e for e in theirs if e.outcome and lx.OUTCOME_SYNONYMS.get(e.outcome, e.outcome) == key]
        if same:
            return same
    for theirs in (near, everywhere):
        family = [e for e in theirs if e.group and e.group == effect.group]
        if family:
            return family
    return None


def _negation(claim: Reading, passage: Reading, aligned: Reading) -> Failure:
    """The sentence denies what the restated passage affirms ("does not rate MST as a Model program"),
    or affirms what the passage says only under a negation ("rather than randomised trials")."""
    ignore = lx.DOWN | lx.UP | lx.BETTER | lx.WORSE | lx.BAD_OUTCOMES | lx.GOOD_OUTCOMES | _NEUTRAL
    # "assigned by officials rather than at random", "without displacement": the sentence sets aside
    # what the passage affirms
    for s in sorted(_set_aside(claim) - _NEUTRAL - _SIZE - lx.STRONG - lx.HEDGES - passage.excluded - passage.negated):
        if s in passage.asserted:
            return "negation", f"sets aside '{s}', which the passage affirms"
    for s in sorted(claim.denied - ignore):
        if s in passage.asserted and s not in passage.negated:
            return "negation", f"denies '{s}', which the passage affirms"
    # "was not tested in a randomized trial" against "a randomized trial assigned 541 lots"
    scoped = _plainly_negated(claim) - ignore - _SIZE - lx.STRONG - lx.HEDGES - {stem(n) for n in claim.names}
    for s in sorted(scoped - passage.negated - passage.excluded):
        if s in aligned.asserted and s in passage.asserted:
            return "negation", f"denies '{s}', which the finding it restates affirms"
    # "did not improve how residents see the police" where the finding it restates says it improved
    # (an outcome with no name the effects can compare)
    moved = lx.DOWN | lx.UP | lx.BETTER | lx.WORSE
    for s in sorted((claim.denied & moved) - passage.negated - _SIZE):
        if s in aligned.asserted and not any(e.sign == 0 for e in aligned.effects):
            return "negation", f"denies '{s}', which the finding it restates affirms"
    if _has_negator(claim) or any(e.sign == 0 for e in claim.effects):
        return None  # a sentence that negates something itself is judged by its effects and denials
    # "both treatments changed violence" where the finding says "neither treatment changed" it
    for s in sorted((claim.asserted & _PREDICATES) - claim.negated):
        if s in aligned.negated and s not in aligned.asserted:
            return "negation", f"affirms '{s}', which the finding it restates denies"
    # "Canadian councils should be cautious": the word says who reads the finding, not what it found
    audience = {stem(w) for w in _AUDIENCE.findall(claim.text)}
    for s in sorted(passage.denied - ignore - audience):
        # denied everywhere, or denied by the very finding the sentence restates
        if s in claim.asserted and (s not in passage.asserted or (s in aligned.denied and s not in aligned.asserted)):
            return "negation", f"affirms '{s}', which the passage denies"
    for s in sorted(passage.excluded - ignore - claim.excluded):
        # "violence without firearms" beside "firearm violence fell": used outside the exclusion too
        if s in claim.asserted and s not in passage.asserted - passage.excluded and passage.stems.count(s) < 2:
            return "negation", f"affirms '{s}', which the passage sets aside"
    return None


_AUDIENCE = re.compile(
    r"\b([A-Za-z]+)\s+(?:councils?|municipalities|decision-makers|policymakers|policy-makers|officials|"
    r"governments|planners)\b"
)
# What a finding says happened: a sentence that affirms one the finding negates drops its 'not'.
_PREDICATES = frozenset(
    """chang show effect affect impact jump differ work help benefit reduc lower cut increas rais rise improv
    wors declin drop fell fall""".split()
)
_SIZE = frozenset({"less", "more", "fewer", "lower", "higher", "larg", "small", "smaller", "greater", "bigger"})


_ADVICE = frozenset({"should", "must", "would", "could", "can", "may", "might", "need", "cannot"})


def _plainly_negated(reading: Reading) -> set[str]:
    """The two content words after a plain 'not' or 'no' of a finding ('was not tested in a randomized
    trial'), leaving out advice ('should not fund'), 'neither... nor', and 'no more than'."""
    words = [w.lower() for w in reading.words]
    out: set[str] = set()
    for i, w in enumerate(words):
        if w not in {"not", "no", "never"} or (i and reading.words[i][:1].isupper()):
            continue  # a capitalised 'No' inside a sentence names a label: "No Effects"
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if before in _ADVICE or after in {"more", "less", "longer", "only", "matter", "one"}:
            continue
        taken = 0
        for j in range(i + 1, min(len(words), i + 5)):
            if not words[j][:1].isalpha() or words[j] in {"and", "but", "or", "nor", "which", "that"}:
                break
            if reading.words[j][:1].isupper() or words[j] in STOPWORDS or words[j] in SKIP_AFTER_NOT:
                continue
            out.add(reading.stems[j])
            taken += 1
            if taken == 2:
                break
    return out


def _set_aside(reading: Reading) -> set[str]:
    """The first word after 'rather than', 'instead of' or 'without' ('rather than at random'), not a name."""
    words = [w.lower() for w in reading.words]
    out = set()
    for i, w in enumerate(words):
        opens = w == "without" or (i > 0 and (words[i - 1], w) in {("rather", "than"), ("instead", "of")})
        if not opens:
            continue
        for j in range(i + 1, min(len(words), i + 4)):
            if reading.words[j][:1].isupper() or not words[j][:1].isalpha():
                break
            if words[j] not in STOPWORDS:
                out.add(reading.stems[j])
                break
    return out


_NEUTRAL = frozenset({"effect", "impact", "result", "evid", "program", "studi", "found", "show", "shown"})


def _has_negator(reading: Reading) -> bool:
    return any(w.lower() in lx.NEGATORS for w in reading.words)


_UNIVERSAL = frozenset({"every", "each", "all", "any", "everyone", "everybody", "always", "everywhere"})


# Who rates or reviews evidence: a finding credited to one when the passage gives it to another is wrong.
_SOURCES = (
    "campbell",
    "cochrane",
    "blueprints",
    "crimesolutions",
    "crime solutions",
    "public safety canada",
    "statistics canada",
    "justice canada",
    "national crime prevention centre",
    "nij",
    "national institute of justice",
    "ojjdp",
    "what works centre",
    "college of policing",
    "home office",
    "rand",
)


def _sources(text: str) -> set[str]:
    lowered = text.lower()
    found = {s for s in _SOURCES if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", lowered)}
    return {s for s in found if not any(s != t and s in t for t in found)}  # "canada" inside a longer name


def _credited(claim_text: str, sentence: Reading, passage: Reading) -> Failure:
    """'a meta-analysis by Public Safety Canada found...' where the finding's own sentence credits
    Jugl and colleagues and names Public Safety Canada elsewhere for something else."""
    mine = _sources(claim_text)
    theirs = _sources(sentence.text)
    listed = _sources(passage.text)
    if (
        len(mine) >= 2
        and mine <= listed
        and not any(e.sign != 0 for e in read(claim_text).effects)
        and not re.search(r"\b(?:rated|rates|rating|ratings|ranks|ranked|label\w*|lists? \w+ as)\b", claim_text, re.I)
    ):
        return None  # "the sources include a Campbell review and CrimeSolutions": a list, not a finding credited
    for source in sorted(mine - theirs):
        if theirs and source in listed:
            return "program", f"credits {source} with a finding the passage gives to {sorted(theirs)[0]}"
    return None


def _universal(claim: Reading, passage: Reading) -> Failure:
    """'every one of the 16 studies', 'any combination', 'all residents': a finding made universal
    that the passage states of some, or without saying how many."""
    theirs = {w.lower() for w in passage.words} & _UNIVERSAL
    for i, w in enumerate(claim.words):
        lw = w.lower()
        before = claim.words[i - 1].lower() if i else ""
        if (lw == "all" and before == "at") or (lw == "any" and before in {"of", "than"}):
            continue  # "if at all"; "the best of any single measure", "more than any other"
        if lw in _UNIVERSAL and lw not in theirs and not _under_negation(claim, lw):
            return "strength", f"says '{lw}', where the passage does not speak of all or every one"
    return None


def _strength(claim: Reading, passage: Reading, aligned: Reading, verdicts: set[str]) -> Failure:
    universal = _universal(claim, passage)
    if universal:
        return universal
    passage_stems = set(aligned.stems)
    hedged = aligned.hedged or bool(verdicts & {"promising", "mixed"}) or passage.cannot_tell
    for word in sorted(claim.strong):
        if _under_negation(claim, word) or word in claim.negated:
            continue
        if " " in word:
            if word in " ".join(passage.words).lower():
                continue
            return "strength", f"says '{word}', which the passage does not support"
        if word in passage_stems or (word in _MILD_STRONG and word in passage.stems):
            continue
        if word in _MILD_STRONG and not hedged:
            continue
        return "strength", f"says '{word}' of a finding the passage {'hedges' if hedged else 'states less strongly'}"
    return None


def _under_negation(claim: Reading, phrase: str) -> bool:
    """'should not assume it will work wherever': a strong phrase the sentence itself denies."""
    lowered = " ".join(claim.words).lower()
    at = lowered.find(phrase)
    if at < 0:  # a stem: find the word it comes from
        at = next((lowered.find(w.lower()) for w, s in zip(claim.words, claim.stems, strict=True) if s == phrase), -1)
    before = lowered[max(0, at - 60) : at]
    return at >= 0 and bool(re.search(r"\b(?:not|no|never|cannot|nor|rather than|instead of)\b", before))


def _detail(claim: Reading, passage: Reading, known: set[str]) -> Failure:
    passage_stems = set(passage.stems)
    theirs = {lx.DETAIL_KINDS[s] for s in passage_stems if s in lx.DETAIL_KINDS}
    if "$" in passage.text or "%" in passage.text:
        theirs.add("money" if "$" in passage.text else "scale")
    for s in sorted(claim.content):
        kind = lx.DETAIL_KINDS.get(s)
        if kind and kind not in theirs and s not in passage_stems and s not in known:
            return "detail", f"adds '{s}' ({kind}), a detail the passage never mentions"
    synonyms = outcome_keys(passage) | {lx.OUTCOME_SYNONYMS.get(s, s) for s in passage_stems}
    for key in sorted(outcome_keys(claim) - synonyms - {"problem", "risk"}):
        if key not in known:
            return "detail", f"speaks of {key}, an outcome the passage does not report"
    return None


_CONCEPTS: dict[str, str] = {}
for _name, _stems in (
    ("DOWN", lx.DOWN),
    ("UP", lx.UP),
    ("BETTER", lx.BETTER),
    ("WORSE", lx.WORSE),
):
    for _s in _stems:
        _CONCEPTS[_s] = _name


def _concepts(reading: Reading) -> set[str]:
    out = set()
    for s in reading.content:
        group = group_of(s)
        out.add(_CONCEPTS.get(s) or (group.upper() if group else s))
    return out | {c.upper() for c in reading.populations | reading.places}


def _overlap(claim: Reading, passage: Reading, known: set[str]) -> float:
    mine = _concepts(claim)
    if not mine:
        return 0.0
    theirs = _concepts(passage) | {stem(k) for k in known}
    return len(mine & theirs) / len(mine)
