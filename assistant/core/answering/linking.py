"""Which interventions does a question name? Titles, aliases and acronyms, in any spelling.

"does DARE work", "d.a.r.e. in grade 6", "scared stright tours" and "the Oregon foster care
model" all name a document of the evidence base. Knowing that lets the answer lead with the
program asked about, and lets the gate answer a question about a known program even when
another word of it ("RCMP", "band council") is one the evidence never uses.

Names come from each document's title (and the parts of a title around a parenthesis or a
colon) and its `aliases` front matter. Matching is on normalised words: case, dots in
acronyms, hyphens, British and American spellings and plurals do not matter; a longer name
may carry one typo. A short acronym that is also an English word ("PATHS", "SNAP") must be
written in capitals to count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from assistant.core.answering.text import STOPWORDS, stem_word, undot

# Program acronyms that are also everyday words: in lower case they are the word.
COMMON_WORDS = frozenset(
    """paths snap pop hub care act watch safe step reach aim fit link start hope bridge focus
    great cop rags coast""".split()
)
FUZZY_MIN_CHARS = 8
FUZZY_MIN_RATIO = 90.0
_SPELLINGS = {
    "programme": "program",
    "programmes": "programs",
    "behaviour": "behavior",
    "behavioural": "behavioral",
    "neighbourhood": "neighborhood",
    "neighbourhoods": "neighborhoods",
    "centre": "center",
    "centres": "centers",
    "offence": "offense",
    "offences": "offenses",
    "defence": "defense",
    "organisation": "organization",
    "victimisation": "victimization",
    "licence": "license",
}
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ0-9]+")
_TITLE_PARTS = re.compile(r"\s*(?:\(|\)|:|\s[-–—]\s)\s*")


@dataclass(frozen=True)
class Name:
    document_id: str
    text: str
    tokens: tuple[str, ...]
    is_title: bool
    acronym: bool  # one short token written in capitals in the document
    # the name as typo matching compares it: lower case, undotted, single-spaced (made once per name: every
    # snapshot after a change indexes every name again, 91,000 at 100,000 chunks)
    folded: str = ""


@dataclass(frozen=True)
class Link:
    """A document the question names, and how."""

    document_id: str
    name: str
    start: int  # token offsets in the question
    end: int
    exact: bool
    specific: bool  # an acronym or a name of two words or more: it names this program and no other thing

    @property
    def length(self) -> int:
        return self.end - self.start


def _token(word: str) -> str:
    lower = _SPELLINGS.get(word.lower(), word.lower())
    return stem_word(lower)


def tokens_with_case(text: str) -> list[tuple[str, str]]:
    """(normalised token, word as written) pairs; "D.A.R.E." is one token, "&" is "and"."""
    text = undot(text.replace("&", " and "))
    return [(_token(w), w) for w in _TOKEN.findall(text)]


def _names_of(document_id: str, title: str, aliases: Iterable[str]) -> list[Name]:
    texts = [(title, True)]
    texts += [(part, True) for part in _TITLE_PARTS.split(title) if part and part != title]
    texts += [(alias, False) for alias in aliases]
    names: list[Name] = []
    seen: set[tuple[str, ...]] = set()
    for text, is_title in texts:
        pairs = tokens_with_case(text)
        tokens = tuple(t for t, _ in pairs)
        if not tokens or tokens in seen or all(t in STOPWORDS for t in tokens):
            continue
        written = pairs[0][1]
        acronym = len(pairs) == 1 and len(written) <= 6 and written.isupper()
        if is_title and text != title and len(tokens) == 1 and not acronym:
            continue  # "Canada" in "Hub / Situation Tables (Canada)" names a country, not the program
        seen.add(tokens)
        folded = undot(" ".join(text.strip().lower().split()))
        names.append(Name(document_id, text.strip(), tokens, is_title, acronym, folded))
    return names


class NameIndex:
    """Every name of every document, to find the ones a question uses."""

    def __init__(self, documents: Iterable[tuple[str, str, Iterable[str]]], previous: NameIndex | None = None) -> None:
        """With `previous` (the last snapshot's), the names of documents whose title and aliases are
        unchanged are taken from it: working out every name's variants is most of the cost (2.7 of
        4.3 s at 12,500 documents)."""
        self.names: list[Name] = []
        self.by_document: dict[tuple[str, str, tuple[str, ...]], list[Name]] = {}
        known = previous.by_document if previous is not None else {}
        for document_id, title, aliases in documents:
            key = (document_id, title, tuple(aliases))
            names = known.get(key)
            if names is None:
                names = list(_names_of(document_id, title, key[2]))
            self.by_document[key] = names
            self.names.extend(names)
        # exact matching: names by their tokens, and which lengths start with each token
        self._exact: dict[tuple[str, ...], list[Name]] = {}
        self._lengths: dict[str, set[int]] = {}
        for name in self.names:
            self._exact.setdefault(name.tokens, []).append(name)
            self._lengths.setdefault(name.tokens[0], set()).add(len(name.tokens))
        # names long enough to carry a typo, as lower-case undotted text, by (number of words, first letter)
        self._fuzzy_names: dict[tuple[int, str], list[tuple[str, Name]]] = {}
        for name in self.names:
            target = name.folded or undot(" ".join(name.text.lower().split()))
            if len(target) >= FUZZY_MIN_CHARS and not name.acronym:
                self._fuzzy_names.setdefault((len(name.tokens), target[0]), []).append((target, name))
        self._fuzzy_texts = {key: [t for t, _ in names] for key, names in self._fuzzy_names.items()}
        self._fuzzy_lengths = sorted({k for k, _ in self._fuzzy_names})

    def find(self, question: str, fuzzy: bool = True) -> list[Link]:
        """The documents the question names, in the order it names them; overlapping matches keep the longest.

        `fuzzy=False` (for the evidence's own text, which spells names right) skips the typo search.
        """
        pairs = tokens_with_case(question)
        tokens = [t for t, _ in pairs]
        found: list[Link] = []
        for i in range(len(tokens)):
            for k in self._lengths.get(tokens[i], ()):
                for name in self._exact.get(tuple(tokens[i : i + k]), ()):
                    if self._written_as_name(name, pairs[i][1]):
                        found.append(Link(name.document_id, name.text, i, i + k, True, _specific(name)))
        if fuzzy:
            found += self._fuzzy(pairs, found)
        return _keep_longest(found)

    @staticmethod
    def _written_as_name(name: Name, written: str) -> bool:
        """An acronym written in lower case counts only as itself, uninflected, and not an everyday word:
        "dare" is D.A.R.E., but "cops" is not COP and "paths" is not PATHS."""
        if not name.acronym or len(written) < 2 or not written.islower():
            return True
        lower = written.lower()
        return lower == undot(name.text).lower() and lower not in COMMON_WORDS and lower not in STOPWORDS

    def _fuzzy(self, pairs: list[tuple[str, str]], exact: list[Link]) -> list[Link]:
        """Names of two words or more, or one long word, with one slip of the keyboard.

        A typo rarely hits the first letter, so each run of k words of the question is compared, in
        one `cdist` call, only with the names of k words that start with the same letter.
        """
        taken = {j for link in exact for j in range(link.start, link.end)}
        raw = [w.lower() for _, w in pairs]
        found: list[Link] = []
        for k in self._fuzzy_lengths:
            groups: dict[str, list[int]] = {}
            for i in range(len(raw) - k + 1):
                if not taken.intersection(range(i, i + k)) and raw[i]:
                    groups.setdefault(raw[i][0], []).append(i)
            for letter, starts in groups.items():
                names = self._fuzzy_names.get((k, letter))
                if not names:
                    continue
                candidates = [" ".join(raw[i : i + k]) for i in starts]
                scores = process.cdist(
                    candidates,
                    self._fuzzy_texts[(k, letter)],
                    scorer=fuzz.ratio,
                    score_cutoff=FUZZY_MIN_RATIO,
                    workers=1,
                )
                for row, col in zip(*scores.nonzero(), strict=True):
                    name = names[int(col)][1]
                    i = starts[int(row)]
                    found.append(Link(name.document_id, name.text, i, i + k, False, _specific(name)))
        return found


def _specific(name: Name) -> bool:
    """ "Mentoring" names a practice but also a word of "drone-mentoring in the Yukon"; "Big Brothers Big
    Sisters", "MST", a full title and a brand written in camel case ("ShotSpotter", "PredPol") name one
    program. (A French question naming ShotSpotter was refused: the name was no one-program name.)"""
    camel = len(name.tokens) == 1 and re.search(r"[a-z][A-Z]", name.text) is not None
    return name.acronym or camel or len(name.tokens) >= 2 or (name.is_title and len(name.text) >= 6)


def _keep_longest(links: list[Link]) -> list[Link]:
    """Where names overlap ("juvenile awareness programs" and "programs"), the longest wins; ties keep all."""
    kept: list[Link] = []
    longest: dict[int, int] = {}  # token offset -> length of the longest kept name covering it
    for link in sorted(links, key=lambda x: (-x.length, x.start)):
        if max((longest.get(i, 0) for i in range(link.start, link.end)), default=0) > link.length:
            continue
        kept.append(link)
        for i in range(link.start, link.end):
            longest[i] = max(longest.get(i, 0), link.length)
    kept.sort(key=lambda x: (x.start, not x.exact))
    return kept


def linked_documents(links: Iterable[Link]) -> list[str]:
    """Document ids in the order the question names them, each once."""
    return list(dict.fromkeys(link.document_id for link in links))


@dataclass(frozen=True)
class NamedProgram:
    """A program a sentence names, the evidence base's verdict on it, and whether the sentence sets it
    aside where it names it ("unlike D.A.R.E.", "rather than boot camps")."""

    document_id: str
    name: str
    verdict: str
    contrasted: bool


# words that, just before a name, set the program aside: "unlike", "rather than", "instead of", "than"
_CONTRASTS = frozenset({"unlike", "than", "instead", "of", "not", "versus", "vs", "over", "compared", "with", "to"})
_CONTRAST_HEADS = frozenset({"unlike", "than", "instead", "not", "versus", "vs", "compared"})


class RatedNames:
    """The evidence base's verdict on each program a sentence names.

    The verifier asks it of every written sentence, so that a sentence saying a program works is
    dropped when it names one rated harmful, no effect or mixed, whatever passage it cites (an
    overview, or another program's document, may name Scared Straight too).
    """

    def __init__(self, names: NameIndex, verdicts: dict[str, str]) -> None:
        self.names = names
        self.verdicts = verdicts  # document id -> verdict ("harmful", "effective", ...)
        # "(Public Safety Canada)" in a title names who ran or rated the program, not the program
        self._asides = {
            (doc_id, aside.strip())
            for doc_id, title, _ in names.by_document
            for aside in re.findall(r"\(([^)]*)\)", title)
        }

    def __call__(self, text: str) -> list[NamedProgram]:
        words = [w.lower() for _, w in tokens_with_case(text)]
        found: list[NamedProgram] = []
        for link in self.names.find(text, fuzzy=False):
            if not link.specific or link.document_id not in self.verdicts:
                continue
            if (link.document_id, link.name) in self._asides:
                continue
            before = words[max(0, link.start - 3) : link.start]
            # "unlike X", "rather than the X", "instead of X", "compared with X": the last words before the
            # name are contrast words (articles skipped), one of them a head
            while before and before[-1] in {"the", "a", "an"}:
                before = before[:-1]
            tail = []
            for t in reversed(before):
                if t not in _CONTRASTS:
                    break
                tail.append(t)
            contrasted = bool(set(tail) & _CONTRAST_HEADS)
            found.append(NamedProgram(link.document_id, link.name, self.verdicts[link.document_id], contrasted))
        return found
