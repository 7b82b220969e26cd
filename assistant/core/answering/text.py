"""Sentence splitting and word normalisation shared by quoting, follow-ups and verification."""

from __future__ import annotations

import re
from functools import cache

_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "approx.", "U.S.", "U.K.", "Dr.", "No.", "St.", "Mr.", "Ms.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[])")
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom why will with would
    you your yours us also any anything much many work works working worked does do did evidence say says know
    tell thing things get got really something""".split()
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, so quotes stay verbatim slices."""
    protected = text
    for abbr in _ABBREVIATIONS:
        protected = protected.replace(abbr, abbr.replace(".", "\x00"))
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


def content_stems(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if w not in STOPWORDS and len(w) > 1]
    return set(_stemmer().stemWords(words)) if words else set()


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
