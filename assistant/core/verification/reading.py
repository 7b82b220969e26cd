"""Read a sentence for what the verifier compares: effects, negation, numbers, names, people, places, strength.

A `Reading` is computed once per text and holds only data. The comparison of a claim's
reading with its passage's lives in `verifier.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.core.answering.text import STOPWORDS, stem_word
from assistant.core.verification import lexicon as lx

_TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’&-]*(?:\.[A-Za-z])*\.?|\$?\d[\d,]*(?:\.\d+)?%?|[;:,()—–]")
_CLAUSE_BREAK = re.compile(r"\s*(?:;|:|—|–|\bbut\b|\bwhereas\b|\bwhile\b|\balthough\b|\bthough\b|\bhowever\b)\s*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])|\n+")
_ACRONYM = re.compile(r"^(?:[A-Z]\.){2,}[A-Z]?\.?$|^[A-Z][A-Z0-9&]{1,}s?$")
_NUMERIC = re.compile(r"^\$?\d")
COUNT_NOUNS = frozenset(
    """studi studi trial site citi year month week day program evalu review experi communiti school countri time
    group neighbourhood neighborhood area hour session famili particip birthday""".split()
)
# Capitalised words that are not names when they start a clause or a heading-like label.
_NOT_NAMES = frozenset({"i", "verdict", "in", "the", "a", "an", "this", "these", "that", "it", "they", "for", "and"})
_EFFECT_WINDOW = 6
_NOT_OUTCOMES = frozenset(
    """offender offenders victim victims inmates inmate prisoners criminals delinquents achieve achieved achieves
    achieving problem-solving""".split()
)
_COMPARATIVES = frozenset({"more", "less", "fewer", "higher", "lower", "greater", "smaller", "larger"})
_NOT_FINDINGS = frozenset({"prevention", "preventive", "preventing"})
_STOP_SCAN = frozenset({"and", "or", "but", "than", "while", "whereas", "although", "though"})
_SIZE_NOUNS = frozenset(
    """effect effects benefit benefits impact impacts reduction reductions gain gains results result
    improvement improvements payoff""".split()
)
_AIMS = frozenset(
    """goal goals aim aims aimed designed intended meant hope hoping hoped want wants if whether
    purpose""".split()
)
_SIZE_WORDS = frozenset(
    {
        "larger",
        "largest",
        "smaller",
        "smallest",
        "greater",
        "greatest",
        "bigger",
        "biggest",
        "stronger",
        "strongest",
        "weaker",
        "weakest",
    }
)
SKIP_AFTER_NOT = frozenset(
    {
        "be",
        "been",
        "being",
        "yet",
        "always",
        "really",
        "actually",
        "a",
        "an",
        "the",
        "as",
        "quite",
        "very",
        "necessarily",
        "currently",
        "only",
    }
)
_FUNCTION = frozenset(
    """among between within across per via including compared than even likely likelier whether already yet
    still just only less more much""".split()
)


def stem(word: str) -> str:
    return stem_word(word.lower().strip("'’."))


@dataclass(frozen=True)
class Effect:
    """One outcome moved one way: +1 better (crime down, skills up), -1 worse, 0 no change."""

    sign: int
    outcome: str | None
    group: str | None
    comparative: bool = False  # "more than", "higher": often a comparison between groups, not a change


@dataclass
class Reading:
    text: str
    words: list[str]
    stems: list[str]
    content: set[str]
    effects: list[Effect] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    openings: set[str] = field(default_factory=set)
    populations: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    strong: set[str] = field(default_factory=set)
    hedged: bool = False
    works: bool = False
    fails: bool = False
    cannot_tell: bool = False
    negated: set[str] = field(default_factory=set)
    asserted: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    explicit_verdict: str | None = None


OUTCOME_GROUPS: dict[str, frozenset[str]] = {
    "offending": frozenset(
        """crime crimin offend offens reoffend delinqu recidiv convict arrest rearrest reconvict antisoci
        misconduct incarcer prison jail custodi problem re-arrest""".split()
    ),
    "violence": frozenset(
        """violenc violent aggress assault fight shoot shot homicid murder gun weapon kill""".split()
    ),
    "property": frozenset("""burglari burglar theft steal stolen robberi vandal graffiti""".split()),
    "substance": frozenset("""drug alcohol substanc drink smoke cannabi marijuana opioid overdos""".split()),
    "school": frozenset("""dropout suspens expuls graduat attend achiev complet""".split()),
    "disorder": frozenset("""disord disrupt bulli call incid complaint forc""".split()),
    "fear": frozenset("""fear safeti""".split()),
}
_GROUP_OF = {s: g for g, stems in OUTCOME_GROUPS.items() for s in stems}


def group_of(s: str) -> str | None:
    """The family of outcomes a stem belongs to ('offending', 'violence'...), if any."""
    return _GROUP_OF.get(s)


def tokens(text: str) -> list[str]:
    raw = [t for t in _TOKEN.findall(text.replace("’", "'"))]
    out: list[str] = []
    for t in raw:
        if t.lower().endswith("n't") and len(t) > 3:
            base = t[:-3]
            out.append({"ca": "can", "wo": "will", "sha": "shall"}.get(base.lower(), base))
            out.append("not")
        elif t.endswith(".") and not _ACRONYM.match(t):
            out.append(t[:-1])
        else:
            out.append(t)
    return [t for t in out if t]


def _norm_number(token: str) -> str:
    return token.replace(",", "").replace("$", "").rstrip("%").rstrip(".")


def _without_names(words: list[str]) -> str:
    """The text less capitalised words inside a sentence: 'Healthy Youth Development' names no youth."""
    kept = []
    start = True
    for w in words:
        if w[:1].isupper() and not start:
            kept.append("_")
        else:
            kept.append(w.lower())
        start = w in ";:" or w.endswith((".", "?", "!"))
    return " ".join(kept)


def _class_hits(lowered: str, classes: dict[str, tuple[str, ...]]) -> set[str]:
    found = set()
    for name, words in classes.items():
        for w in words:
            if re.search(rf"(?<![\w.]){re.escape(w)}(?![\w])", lowered):
                found.add(name)
                break
    return found


def is_outcome(word: str, s: str) -> bool:
    w = word.lower()
    return ((s in lx.BAD_OUTCOMES or s in lx.GOOD_OUTCOMES) and w not in _NOT_OUTCOMES) or w in lx.OUTCOME_WORDS


def outcome_keys(reading: Reading) -> set[str]:
    """Every outcome a text speaks of, by synonym class ('offending' for crime, delinquency...)."""
    keys = set()
    for w, s in zip(reading.words, reading.stems, strict=True):
        if w[:1].isalpha() and is_outcome(w, s):
            o = outcome_stem(w, s)
            keys.add(lx.OUTCOME_SYNONYMS.get(o, o))
    return keys


def outcome_stem(word: str, s: str) -> str:
    return lx.OUTCOME_WORDS.get(word.lower(), s)


def _coordinated(stems: list[str], words: list[str], j: int) -> list[str]:
    """The outcome at j and those joined to it: 'lower delinquency and aggression scores'."""
    found = [outcome_stem(words[j], stems[j])]
    k = j + 1
    while k + 1 < len(words) and words[k].lower() in {"and", "or", ","}:
        nxt = next((m for m in range(k + 1, min(len(words), k + 3)) if is_outcome(words[m], stems[m])), None)
        between = words[k + 1 : nxt] if nxt is not None else []
        if nxt is None or any(stem(b) in lx.DOWN or stem(b) in lx.UP or b.lower() in _COMPARATIVES for b in between):
            break
        found.append(outcome_stem(words[nxt], stems[nxt]))
        k = nxt + 1
    return found


def _outcome_near(stems: list[str], i: int, words: list[str], backward_first: bool = False) -> list[str]:
    """The outcomes a direction word at i moves: the nearest after it, else before it (passive)."""
    if backward_first and i > 0 and is_outcome(words[i - 1], stems[i - 1]):
        return [outcome_stem(words[i - 1], stems[i - 1])]  # "arrested less", "earning more"
    for j in range(i + 1, min(len(stems), i + 1 + _EFFECT_WINDOW)):
        if j > i + 1 and (words[j] in ";:,()—–" or words[j].lower() in _STOP_SCAN):
            break
        if stems[j] in lx.DOWN or stems[j] in lx.UP:
            break
        if is_outcome(words[j], stems[j]):
            return _coordinated(stems, words, j)
    for j in range(i - 1, max(-1, i - 1 - _EFFECT_WINDOW), -1):
        if words[j] in ";:()—–" or words[j].lower() in _STOP_SCAN:
            break
        if is_outcome(words[j], stems[j]):
            return [outcome_stem(words[j], stems[j])]
    return []


def _size_noun_near(words: list[str], i: int) -> bool:
    """'larger effects', 'the benefit was largest': a comparative about the size of an effect."""
    after = [w.lower() for w in words[i + 1 : i + 3]]
    if any(w in _SIZE_NOUNS for w in after):
        return True
    for j in range(i - 1, max(-1, i - 7), -1):
        if words[j] in ";:,()—–":
            return False
        if words[j].lower() in _SIZE_NOUNS:
            return True
    return False


def _hypothetical_at(words: list[str], i: int) -> bool:
    """'the goal is reducing crime', 'designed to cut': an aim, not a finding."""
    return any(w.lower() in _AIMS for w in words[max(0, i - 4) : i])


def _negated_at(words: list[str], i: int, span: int = 4) -> bool:
    for j in range(i - 1, max(-1, i - 1 - span), -1):
        w = words[j].lower()
        if w in lx.NEGATORS or w.startswith("fail") or w == "nothing":
            # "not only" and "no more than" do not negate what follows
            if w == "not" and j + 1 < len(words) and words[j + 1].lower() == "only":
                continue
            return True
        if words[j] in ";:,()—–":
            return False
    return False


_DOUBT_NOUNS = frozenset("evidence sign signs indication proof".split())


def _doubted_at(words: list[str], i: int, span: int = 10) -> bool:
    """'found no evidence that buy-backs reduced gun crime', 'are unlikely to reduce', 'have yet to be shown to
    improve': a finding doubted further back than a plain negation reaches, within the same clause."""
    for j in range(i - 1, max(-1, i - 1 - span), -1):
        w = words[j].lower()
        if words[j] in ";:,()—–" or w in {"but", "although", "though", "whereas"}:
            return False
        if w == "unlikely" or (w == "yet" and j + 1 < len(words) and words[j + 1].lower() == "to"):
            return True
        if w in _DOUBT_NOUNS and j > 0 and words[j - 1].lower() in {"no", "little", "any", "scant"}:
            return True
    return False


# what a writer advises against expecting: "should not count on curfews to reduce crime", "should not be
# relied on to prevent", "cannot be assumed to deliver": the effect is claimed neither way. ("has not been
# shown to reduce" and "is not expected to" say something of the evidence: they stay null findings.)
_EXPECTING = frozenset(
    "count counted counting rely relied relying expect expected expecting assume assumed assuming bank banking "
    "back backed promise promised guarantee guaranteed".split()
)
_ADVISING = frozenset("should shouldn can cannot could would must need do does".split())


def _disclaimed_at(words: list[str], i: int, span: int = 12) -> bool:
    expecting = False
    for j in range(i - 1, max(-1, i - 1 - span), -1):
        w = words[j].lower()
        if words[j] in ";:()—–":
            return False
        if w in _EXPECTING:
            expecting = True
        elif expecting and w == "cannot":
            return True
        elif expecting and w == "not" and j > 0 and words[j - 1].lower() in _ADVISING:
            return True
    return False


def _effects(words: list[str], stems: list[str], lowered: str) -> list[Effect]:
    effects: list[Effect] = []
    comparatives = {"more", "less", "fewer", "higher", "lower", "greater", "smaller", "larger", "largest", "smallest"}
    for i, s in enumerate(stems):
        w = words[i].lower()
        if w in _NOT_FINDINGS:
            continue
        if s in lx.BETTER or s in lx.WORSE:
            outcomes: list[str | None] = [*_outcome_near(stems, i, words)] or [None]
            signs = [1 if s in lx.BETTER else -1] * len(outcomes)
        elif s in lx.DOWN or s in lx.UP or w in comparatives:
            direction = 1 if (s in lx.UP or w in {"more", "higher", "greater", "larger", "largest"}) else -1
            if w in _SIZE_WORDS and _size_noun_near(words, i):
                sign = direction
                if _negated_at(words, i):
                    sign = 0
                effects.append(Effect(sign, "effect-size", "size"))
                continue
            if i > 0 and words[i - 1].lower() in {"than", "rather"}:
                continue  # "rather than less": the contrast, not the finding
            if _hypothetical_at(words, i):
                continue
            found = _outcome_near(stems, i, words, backward_first=w in comparatives)
            if not found and effects and effects[-1].outcome and _pronoun_after(words, i):
                found = [effects[-1].outcome]  # "did not reduce delinquency; it increased it"
            if not found:
                continue  # "more than", "less often": no outcome moved
            outcomes = [*found]
            signs = [direction * (-1 if o in lx.BAD_OUTCOMES else 1) for o in found]
            if (
                w in comparatives
                and i + 1 < len(words)
                and words[i + 1].lower()
                in {
                    "effective",
                    "successful",
                    "useful",
                }
            ):
                continue
        else:
            continue
        if w in comparatives and i >= 2 and words[i - 1].lower() == "not" and words[i - 2] == ",":
            continue  # "more likely to offend, not less": a contrast, not a second finding
        if _disclaimed_at(words, i):
            continue  # not a finding either way: "should not count on it to cut crime" fits a modest or a null one
        null = _negated_at(words, i) or _doubted_at(words, i) or _no_more_than_after(words, i)
        for outcome, sign in zip(outcomes, signs, strict=True):
            effects.append(Effect(0 if null else sign, outcome, _GROUP_OF.get(outcome or ""), w in comparatives))
    for m in _VALENCED_EFFECT.finditer(lowered):
        # "a favourable effect on crime", "adverse effects on reoffending": the adjective gives the sign
        outcome = _first_outcome(lowered[m.end() : m.end() + 60])
        if outcome:
            sign = 1 if m.group(1) in _GOOD_VALENCE else -1
            effects.append(Effect(sign, outcome, _GROUP_OF.get(outcome)))
    for phrase in lx.NULL_PHRASES:
        for m in re.finditer(rf"(?<![\w]){re.escape(phrase)}(?![\w])", lowered):
            # the outcome named after the phrase ("no effect on reoffending"), else before it
            tail = lowered[m.end() : m.end() + 60]
            head = lowered[max(0, m.start() - 60) : m.start()]
            outcome = _first_outcome(tail) or _last_outcome(head)
            effects.append(Effect(0, outcome, _GROUP_OF.get(outcome or "")))
    return effects


_GOOD_VALENCE = frozenset({"favourable", "favorable", "beneficial", "positive", "desirable", "protective"})
_VALENCED_EFFECT = re.compile(
    r"\b(favourable|favorable|beneficial|positive|desirable|protective|unfavourable|unfavorable|adverse|harmful|"
    r"negative|undesirable|iatrogenic)\s+(?:\w+\s+)?(?:effects?|impacts?|results?|outcomes?)\s+(?:on|for)\b"
)


def _with_particles(words: list[str], stems: list[str]) -> list[str]:
    """'drove up', 'pushed crime up', 'held down': the particle read as the direction word it stands for."""
    out = list(stems)
    for i in range(1, len(words)):
        particle = words[i].lower()
        if particle in {"up", "down"} and any(s in lx.MOTION_VERBS for s in stems[max(0, i - 3) : i]):
            out[i] = "rais" if particle == "up" else "reduc"
    return out


def _pronoun_after(words: list[str], i: int) -> bool:
    return i + 1 < len(words) and words[i + 1].lower() in {"it", "them", "this", "that"}


def _no_more_than_after(words: list[str], i: int) -> bool:
    """'lowered reoffending no more than the usual ways': the same as doing nothing."""
    tail = " ".join(w.lower() for w in words[i + 1 : i + 6])
    return bool(re.search(r"\b(?:no|not|any) (?:more|better|less) than\b", tail))


def _outcomes_in(text: str) -> list[str]:
    found = []
    for w in re.findall(r"[a-z][a-z'-]*", text):
        s = stem(w)
        if is_outcome(w, s):
            found.append(s)
    return found


def _first_outcome(text: str) -> str | None:
    cut = re.split(r"[;.]|\bbut\b", text)[0]
    found = _outcomes_in(cut)
    return found[0] if found else None


def _last_outcome(text: str) -> str | None:
    cut = re.split(r"[;.]|\bbut\b", text)[-1]
    found = _outcomes_in(cut)
    return found[-1] if found else None


def _numbers(words: list[str]) -> set[str]:
    found: set[str] = set()
    lowered = [w.lower() for w in words]
    for i, w in enumerate(words):
        if _NUMERIC.match(w):
            n = _norm_number(w)
            found.add(n)
            continue
        lw = lowered[i]
        if "-" in lw:  # "four-site", "one-third"
            for part in lw.split("-"):
                if part in lx.NUMBER_WORDS and part not in lx.SOFT_NUMBER_WORDS:
                    found.add(lx.NUMBER_WORDS[part].rstrip("%"))
            continue
        if lw == "half" and i >= 2 and lowered[i - 1] == "a" and lowered[i - 2] == "and":
            continue  # counted with its whole number: "two and a half"
        if lw in lx.NUMBER_WORDS and lowered[i + 1 : i + 4] == ["and", "a", "half"]:
            found.add(lx.NUMBER_WORDS[lw] + ".5")
            continue
        if (
            lw in lx.NUMBER_WORDS
            and i + 2 < len(words)
            and lowered[i + 1] == "in"
            and lowered[i + 2] in (lx.NUMBER_WORDS)
        ):
            found.add(f"{lw} in {lowered[i + 2]}")  # a ratio, "two in five": checked as a proportion
            continue
        if lw in lx.NUMBER_WORDS and i >= 2 and lowered[i - 1] == "in" and lowered[i - 2] in lx.NUMBER_WORDS:
            continue
        if lw in lx.NUMBER_WORDS:
            if lw in lx.SOFT_NUMBER_WORDS:
                nxt = [stem(x) for x in words[i + 1 : i + 3]]
                if not any(n in COUNT_NOUNS for n in nxt):
                    continue
            found.add(lx.NUMBER_WORDS[lw].rstrip("%"))
    return found


def _names(words: list[str]) -> tuple[set[str], set[str]]:
    """Proper names and acronyms (capitalised words not opening a sentence, any acronym, CamelCase),
    and the capitalised words that open a sentence, which may be names or not."""
    names: set[str] = set()
    openings: set[str] = set()
    sentence_start = True
    for w in words:
        if w in ";:,()—–":
            sentence_start = w in ";:"
            continue
        if not w[:1].isalpha():
            sentence_start = False
            continue
        bare = w.strip("'").removesuffix("'s")
        is_acronym = bool(_ACRONYM.match(bare)) and bare.lower() not in {"i"}
        capitalised = bare[:1].isupper()
        if is_acronym or (capitalised and not sentence_start):
            key = bare.lower().replace(".", "")
            if key not in _NOT_NAMES and key not in STOPWORDS:
                names.add(key)
        elif capitalised and sentence_start and any(ch.isupper() for ch in bare[1:]):
            names.add(bare.lower().replace(".", ""))
        elif capitalised and sentence_start:
            openings.add(bare.lower())
        sentence_start = False
    return names, openings


def _negation_scopes(words: list[str], stems: list[str]) -> tuple[set[str], set[str]]:
    """Content stems said not to hold ("without police", "no Canadian evaluation") and the rest."""
    negated: set[str] = set()
    in_scope: set[int] = set()
    scope = 0
    for i, w in enumerate(words):
        lw = w.lower()
        if lw in ";:()—–" or lw in {"but", "which", "that", "because", "so", "while", "whereas"}:
            scope = 0
            continue
        if (
            lw in lx.NEGATORS
            or (lw == "than" and i > 0 and words[i - 1].lower() == "rather")
            or (lw == "of" and i > 0 and words[i - 1].lower() == "instead")
        ):
            scope = 3
            continue
        if scope and lw[:1].isalpha() and lw not in STOPWORDS and lw not in _FUNCTION:
            negated.add(stems[i])
            in_scope.add(i)
            scope -= 1
    # asserted: used at least once outside a negation ("no evaluation" and "14 had evaluations")
    asserted = {
        s
        for i, s in enumerate(stems)
        if words[i][:1].isalpha() and words[i].lower() not in STOPWORDS and i not in in_scope
    }
    return negated, asserted


def _scopes_by_sentence(text: str) -> tuple[set[str], set[str]]:
    """Negation scopes sentence by sentence: 'no change. Officials chose...' negates nothing of the second."""
    negated: set[str] = set()
    asserted: set[str] = set()
    for words, stems in _sentence_words(text):
        n, a = _negation_scopes(words, stems)
        negated |= n
        asserted |= a
    return negated, asserted


# verbs that end what "without" sets aside: "vehicles without immobilisers remain at risk"
_VERBISH = frozenset(
    "remain remains remained stay stays stayed show shows showed saw see sees had has have did do does got get "
    "gets became become becomes can could may might will would should must".split()
)


def _by_sentence(find: Callable[[list[str], list[str]], set[str]], text: str) -> set[str]:
    """`find` over each sentence on its own, so a scope stops at a sentence's end ("rather than deterring
    it. A review found ...": the review is not set aside)."""
    out: set[str] = set()
    for words, stems in _sentence_words(text) if _SENTENCE.search(text) else [_words_and_stems(text)]:
        out |= find(words, stems)
    return out


def _words_and_stems(text: str) -> tuple[list[str], list[str]]:
    words = tokens(text)
    return words, [stem(w) if w[:1].isalpha() else w for w in words]


def _sentence_words(text: str) -> list[tuple[list[str], list[str]]]:
    return [_words_and_stems(sentence) for sentence in sentences(text)]


def _excluded(words: list[str], stems: list[str]) -> set[str]:
    """What a sentence sets aside: 'quasi-experiments rather than randomised trials', 'without police'."""
    out: set[str] = set()
    lowered = [w.lower() for w in words]
    for i, w in enumerate(lowered):
        opens = (w == "than" and i > 0 and lowered[i - 1] == "rather") or (
            w == "of" and i > 0 and (lowered[i - 1] == "instead" or lowered[i - 2 : i] == ["in", "place"])
        )
        opens = opens or w == "without"
        if not opens:
            continue
        taken = 0
        for j in range(i + 1, min(len(words), i + 5)):
            if not lowered[j][:1].isalpha() or lowered[j] in {"and", "but", "so", "which"} or lowered[j] in _VERBISH:
                break
            if lowered[j] not in STOPWORDS:
                out.add(stems[j])
                taken += 1
                if taken == 2:
                    break
    return out


def _denied(words: list[str], stems: list[str]) -> set[str]:
    """The word a negation denies: the first content word after 'not', 'no', 'never' ('does not rate')."""
    denied: set[str] = set()
    for i, w in enumerate(words):
        if w.lower() not in {"not", "no", "never", "nor", "neither"}:
            continue
        taken = 0
        for j in range(i + 1, min(len(words), i + 6)):
            lw = words[j].lower()
            if lw in {"whether", "if"}:
                break  # "made no difference to whether they reoffend": what follows is asked, not denied
            if lw in SKIP_AFTER_NOT or (taken and (lw in STOPWORDS or lw in _FUNCTION or lw.endswith("ly"))):
                continue
            if lw.isalpha() and lw not in STOPWORDS:
                denied.add(stems[j])
                taken += 1
                if stems[j] in _STUDY_WORDS and taken == 1:
                    continue  # "no study here directly tested it": what no study did is denied too
            break
    return denied


_STUDY_WORDS = frozenset("studi evalu trial review research evid data analysi".split())


@lru_cache(maxsize=4096)
def read(text: str) -> Reading:
    words = tokens(text)
    stems = [stem(w) if w[:1].isalpha() else w for w in words]
    lowered = " ".join(w.lower() for w in words)
    content = {s for w, s in zip(words, stems, strict=True) if w[:1].isalpha() and w.lower() not in STOPWORDS}
    negated, asserted = _scopes_by_sentence(text) if _SENTENCE.search(text) else _negation_scopes(words, stems)
    strong = {s for s in stems if s in lx.STRONG}
    strong |= {m.group(0) for p in _STRONG_PHRASES for m in p.finditer(lowered)}
    names, openings = _names(words)
    verdict = re.search(r"\bverdict\s*:\s*(effective|promising|mixed|no[- ]effect|harmful|not[- ]rated)", lowered)
    return Reading(
        text=text,
        words=words,
        stems=stems,
        content=content,
        effects=_effects(words, _with_particles(words, stems), lowered),
        numbers=_numbers(words),
        names=names,
        openings=openings,
        populations=_class_hits(_without_names(words), lx.POPULATION_CLASSES),
        places=_class_hits(lowered, lx.PLACE_CLASSES),
        strong=strong,
        hedged=any(s in lx.HEDGES for s in stems),
        works=any(p.search(text) for p in _WORKS) and not _negated_works(text),
        fails=any(p.search(lowered) for p in _FAILS),
        cannot_tell=any(p.search(lowered) for p in _CANNOT_TELL),
        negated=negated,
        asserted=asserted,
        denied=_by_sentence(_denied, text),
        excluded=_by_sentence(_excluded, text),
        explicit_verdict=verdict.group(1).replace(" ", "-") if verdict else None,
    )


def _negated_works(text: str) -> bool:
    """'does not work', 'is not effective', 'no longer recommended': a 'works' pattern under negation."""
    lowered = text.lower().replace("n't", " not")
    for p in _WORKS:
        for m in p.finditer(text):
            before = lowered[max(0, m.start() - 25) : m.start() + len(m.group(0))]
            if re.search(
                r"\b(?:not|no|never|nor|neither|without|cannot|fail\w*|rather than|instead of|whether|if|unless|"
                r"unlikely|yet to)\b",
                before,
            ):
                return True
    return False


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def clauses(text: str) -> list[str]:
    """Sentences cut at contrasts ("but", "whereas", ";"), where one finding ends and another begins."""
    out: list[str] = []
    for s in sentences(text):
        out.extend(c for c in _CLAUSE_BREAK.split(s) if c and c.strip())
    return out


_WORKS = [re.compile(p, re.I) for p in lx.WORKS_PATTERNS]
_FAILS = [re.compile(p) for p in lx.FAILS_PATTERNS]
_CANNOT_TELL = [re.compile(p) for p in lx.CANNOT_TELL_PATTERNS]
_STRONG_PHRASES = [re.compile(p) for p in lx.STRONG_PHRASES]
