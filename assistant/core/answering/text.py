"""Sentence splitting and word normalisation shared by quoting, follow-ups and verification."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

# Dots that end no sentence: titles and abbreviations before a name or a number, initials
# ("Jeffrey A. Butts"), dotted acronyms ("U.S.", "G.R.E.A.T."), and "No. 3" or "pp. 12".
_NOT_AN_END = re.compile(
    r"\b(?:e\.g|i\.e|et al|vs|approx|cf|ca|Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|Inc|Ltd|Co|Corp|Dept|Gov|Rev|Fig|Vol|Ch"
    r"|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|Ph\.D)\.(?=\s)"
    r"|\b(?:No|Nos|pp?|para|art|s)\.(?=\s*\d)"
    r"|(?<![A-Za-z.])[A-Z]\.(?=\s+(?:[A-Z]\.|[A-Z][a-z]))"
    r"|\b(?:[A-Za-z]\.){2,}"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]»]?\s+(?=[A-Z0-9À-ÖØ-Þ\"'(\[«])")
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:'[a-z]+)?")
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom why will with would
    you your yours us also any anything much many work works working worked does do did evidence say says know
    tell thing things get got really something""".split()
)


def undot(text: str) -> str:
    """Acronyms written with dots as plain words: "G.R.E.A.T." reads "GREAT", "U.S." reads "US".

    Tokenisers drop one-letter words, so a dotted acronym would otherwise vanish from
    lexical search and from the gate's vocabulary.
    """
    return _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)


# What a conversation turn or a written sentence must never carry into a search or an answer:
# role markers, links and addresses, and instructions to the assistant.
ROLE_MARKER = re.compile(r"(?:^|\s)(?:system|assistant|user|human|developer)\s*:", re.I)
LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+@[\w-]+\.\w+|\b[\w-]+\.(?:com|org|net|ca|gov|io|example)\b", re.I)
INSTRUCTION = re.compile(
    r"\b(?:ignore (?:all |the )?(?:previous|above|prior)|disregard|system\s*:|assistant\s*:|from now on|you must|"
    r"you will|you are now|every answer|all answers|system prompt|click (?:here|the link)|visit|contact us|call now|"
    r"sign up|subscribe)\b",
    re.I,
)


def carries_instruction(text: str) -> bool:
    """A role marker, a link or an instruction: text that steers the assistant rather than asks it."""
    return bool(ROLE_MARKER.search(text) or LINK.search(text) or INSTRUCTION.search(text))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, so quotes stay verbatim slices."""
    protected = _NOT_AN_END.sub(lambda m: m.group(0).replace(".", "\x00"), text)
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(protected):
        # the match is an optional closing quote plus the gap; the sentence keeps the quote
        spans.append((start, match.start() + len(match.group(0).rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_word(word: str) -> str:
    """The Snowball English stem of one word, as every stemmed comparison in the project makes it."""
    return str(_stemmer().stemWord(word))


def content_stems(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if w not in STOPWORDS and len(w) > 1]
    return set(_stemmer().stemWords(words)) if words else set()


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Vocabulary:
    """The words an evidence base uses, as written and stemmed, forgiving one typo in longer words.

    The gate asks which words of a question the evidence never uses: "curfews" in "are youth
    curfews effective?" says the topic is not covered, while "neighbourhod" is only a typo.
    Counts of the texts using each form are kept, so that a new generation of the evidence is this
    vocabulary with the changed texts taken out and put in (`updated`), equal to one built anew.
    """

    TYPO_MIN_LENGTH = 5

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._uses: Counter[str] = Counter()  # form (word or stem) -> texts using it
        self._gaps: Counter[str] = Counter()  # a long form less one letter -> forms giving it
        self._change(texts, 1)

    @staticmethod
    def _forms(text: str) -> set[str]:
        written = set(words(undot(text)))
        return written | set(_stemmer().stemWords(list(written)))

    def _change(self, texts: Iterable[str], sign: int) -> None:
        for text in texts:
            for form in self._forms(text):
                before = self._uses[form]
                self._uses[form] = before + sign
                if (before == 0) != (before + sign == 0) and len(form) >= self.TYPO_MIN_LENGTH:
                    for gap in _deletions(form):  # the form appears (or goes): so do its gaps
                        self._gaps[gap] += sign
                        if self._gaps[gap] == 0:
                            del self._gaps[gap]
                if self._uses[form] == 0:
                    del self._uses[form]

    def updated(self, removed: Iterable[str], added: Iterable[str]) -> Vocabulary:
        """A new vocabulary: this one without the `removed` texts (which it was built with) and with `added`."""
        new = Vocabulary()
        new._uses = self._uses.copy()
        new._gaps = self._gaps.copy()
        new._change(removed, -1)
        new._change(added, 1)
        return new

    def __contains__(self, word: str) -> bool:
        word = word.lower()
        if word in self._uses or _stemmer().stemWord(word) in self._uses:
            return True
        if len(word) < self.TYPO_MIN_LENGTH:
            return False
        # a word equal to a known long word less one letter lacks a letter; one whose own deletions
        # meet a known word or those gaps has a letter too many or a wrong one
        return word in self._gaps or any(d in self._uses or d in self._gaps for d in _deletions(word))

    def unknown(self, text: str) -> list[str]:
        """Content words of the text that the evidence never uses, in order (numbers are never unknown)."""
        found = []
        for word in _WORD.findall(undot(text)):
            lower = word.lower().split("'")[0]  # "curfew's" is "curfew", "I'm" is "i"
            if lower in STOPWORDS or len(lower) < 2 or any(ch.isdigit() for ch in lower) or lower in self:
                continue
            found.append(word)
        return found


def without_words(text: str, remove: Iterable[str]) -> str:
    """The text with every occurrence of the given words blanked out."""
    pattern = "|".join(re.escape(w) for w in sorted(set(remove), key=len, reverse=True))
    return re.sub(rf"(?<![A-Za-zÀ-ÿ0-9])(?:{pattern})(?![A-Za-zÀ-ÿ0-9])", " ", text) if pattern else text
