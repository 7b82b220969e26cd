"""The shape of an answer: the interventions asked about first, each in one line, then what the question needs.

An answer is planned as data (`AnswerPlan`) before anything is written: the bottom lines
(one per intervention, in order of relevance to the question, never by verdict), the
supporting quotes for the question's intent, and better-supported alternatives where a
harmful, null or mixed program is asked about. The Markdown for API users and every face's
rendering come from the same plan, and the LLM writer is given the same numbered passages.

A verdict is only ever shown beside its own document's finding: a finding is a sentence of
that document's Evidence or Summary that names no other intervention, so a passage that
recommends alternatives, or mentions another program, is never read under the first
document's verdict.
"""

from __future__ import annotations

import json
import operator
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlparse

from assistant.core.answering.extractive import Selection, question_stems, stems_of, units_of, wants_effect
from assistant.core.answering.followup import Named
from assistant.core.answering.intent import INTENT_LABELS, INTENT_SECTIONS, classify
from assistant.core.answering.linking import Link, NameIndex, RatedNames, linked_documents, tokens_with_case
from assistant.core.answering.text import content_stems
from assistant.core.answers import (
    AnswerSection,
    BottomLine,
    Citation,
    Intent,
    RelatedProgram,
    SectionItem,
)
from assistant.core.chunks import Chunk, matches_filters
from assistant.core.evidence import VERDICT_HEADINGS, EvidenceVerdict
from assistant.core.retrieval import EvidenceSnapshot, Passage

WORD_BUDGET = 150
FINDING_WORDS = 45
QUOTE_WORDS = 40
MAX_BOTTOM_LINES = 3
MAX_COMPARED = 4
MAX_SECTION_ITEMS = 3
MAX_RELATED = 3
MAX_DOCUMENTS = 5  # documents cited in all: the rest of the relevant ones are listed, quoted in the sources
RATED_KINDS = ("program", "practice")
WEAK_VERDICTS = (EvidenceVerdict.HARMFUL, EvidenceVerdict.NO_EFFECT, EvidenceVerdict.MIXED)
STRONG_VERDICTS = (EvidenceVerdict.EFFECTIVE, EvidenceVerdict.PROMISING)
FINDING_SECTIONS = ("summary", "evidence")
MENTIONS_CACHE = 200_000  # sentences of the evidence whose mentions are remembered (a corpus has ~10,000)

_ID = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
_BLANK = re.compile(r"_{3,}|\[\s?\]|\.{5,}|…{2,}")
_FORM_FIELD = re.compile(r"^[A-Z][\w /()'-]{0,40}:\s*$")
_EFFECT_WORDS = re.compile(
    r"\b(reduc\w*|increas\w*|fell|drop\w*|lower\w*|rais\w*|no (?:significant |measurable |lasting )?effects?|"
    r"did not|does not work|effective|found|showed|harm\w*|backfir\w*|worse|improv\w*|cut|fewer|more likely|"
    r"less likely)\b",
    re.I,
)
# sentences about this evidence base rather than about the program ("no effect sizes are given here")
_UNCONFIRMED = re.compile(
    r"\bnot confirmed\b|\bnot given here\b|\bthis evidence base (?:records|does not|holds no)\b|\bnot recorded\b", re.I
)
_RATING = re.compile(r"\brat(?:es|ed|ing)\b.*\b(?:model|effective|promising|no effects?|harmful)\b", re.I)


def top_section(section: str) -> str:
    return section.split(" > ")[0].strip().lower()


@dataclass(frozen=True)
class Document:
    """What an answer needs to know of one document: its metadata and its chunks in order."""

    id: str
    title: str
    kind: str
    verdict: EvidenceVerdict
    rating_source: str | None
    strength: str | None
    url: str | None
    chunks: tuple[Chunk, ...]

    @property
    def rated(self) -> bool:
        return self.kind in RATED_KINDS

    def in_sections(self, names: Iterable[str]) -> list[Chunk]:
        """Chunks under the first of the given top-level sections that the document has."""
        for name in names:
            found = [c for c in self.chunks if top_section(c.section) == name]
            if found:
                return found
        return []


def specific_url(sources_json: str, fallback: str = "") -> str | None:
    """The first source link that points at a page, not at a site's home page; None when there is none."""
    try:
        sources = json.loads(sources_json or "[]")
    except ValueError:
        sources = []
    urls = [str(s.get("url") or "") for s in sources if isinstance(s, dict)] + [fallback]
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https") and parsed.netloc and parsed.path.strip("/"):
            return url
    return None


class Library:
    """The documents of one snapshot, with the names members call them by."""

    names: NameIndex

    def __init__(self, snapshot: EvidenceSnapshot, previous: Library | None = None) -> None:
        """With `previous` (the last snapshot's library), unchanged documents and their names are reused."""
        self.documents: dict[str, Document] = {}
        earlier = previous.documents if previous is not None else {}
        for doc_id, chunks in snapshot.documents().items():
            before = earlier.get(doc_id)
            if (
                before is not None
                and len(before.chunks) == len(chunks)
                and all(map(operator.is_, before.chunks, chunks))
            ):
                self.documents[doc_id] = before  # the very same chunks (a snapshot keeps those it had)
                continue
            meta = chunks[0].metadata
            self.documents[doc_id] = Document(
                id=doc_id,
                title=chunks[0].title,
                kind=str(meta.get("kind") or "practice"),
                verdict=EvidenceVerdict(str(meta.get("verdict") or "not-rated")),
                rating_source=str(meta.get("rating_source") or "") or None,
                strength=str(meta.get("strength") or "") or None,
                url=specific_url(str(meta.get("sources_json") or "[]"), str(meta.get("url") or "")),
                chunks=tuple(chunks),
            )
        self.names = NameIndex(
            (
                (d.id, d.title, [a for a in str(d.chunks[0].metadata.get("aliases") or "").split("|") if a])
                for d in self.documents.values()
            ),
            previous.names if previous is not None else None,
        )
        self._titles = {d.id: d.title for d in self.documents.values()}
        self._mentions: dict[str, frozenset[str]] = {}
        self.rated_names = RatedNames(self.names, {d.id: d.verdict.value for d in self.documents.values() if d.rated})

    def links(self, question: str, filters: dict[str, list[str]] | None = None) -> list[Link]:
        """Documents the question names (and that the request's filters allow)."""
        return [
            link
            for link in self.names.find(question)
            if link.document_id in self.documents
            and matches_filters(self.documents[link.document_id].chunks[0].metadata, filters)
        ]

    def named(self, text: str, links: list[Link] | None = None) -> Named:
        """The titles of the programs a text names, and its words without those names (for follow-ups)."""
        links = self.links(text) if links is None else links
        pairs = tokens_with_case(text)
        inside = {i for link in links for i in range(link.start, link.end)}
        rest = " ".join(w for i, (_, w) in enumerate(pairs) if i not in inside)
        titles = tuple(dict.fromkeys(self.documents[d].title for d in linked_documents(links)))
        return Named(titles, rest if links else text)

    def title_of(self, document_id: str) -> str | None:
        return self._titles.get(document_id)

    def is_program(self, document_id: str) -> bool:
        doc = self.documents.get(document_id)
        return doc is not None and doc.rated

    def display(self, text: str) -> str:
        """Cross-references such as "(see hot-spots-policing)" read as the document's title."""
        return _ID.sub(lambda m: self._titles.get(m.group(0), m.group(0)), text)

    def mentions(self, text: str) -> frozenset[str]:
        """Programs and practices a piece of text names or cross-references (not guides or rating bodies).

        Asked of the same sentences of the evidence again and again, so remembered per text.
        """
        found = self._mentions.get(text)
        if found is None:
            named = {link.document_id for link in self.names.find(text, fuzzy=False)}
            named |= {m.group(0) for m in _ID.finditer(text) if m.group(0) in self.documents}
            found = frozenset(d for d in named if d in self.documents and self.documents[d].rated)
            if len(self._mentions) < MENTIONS_CACHE:
                self._mentions[text] = found
        return found


_libraries: weakref.WeakKeyDictionary[EvidenceSnapshot, Library] = weakref.WeakKeyDictionary()
_libraries_lock = threading.Lock()


def library_of(snapshot: EvidenceSnapshot, previous: EvidenceSnapshot | None = None) -> Library:
    """One Library per snapshot, built on first use (from the `previous` snapshot's, when it has one)."""
    with _libraries_lock:
        library = _libraries.get(snapshot)
        if library is None:
            earlier = _libraries.get(previous) if previous is not None else None
            library = _libraries[snapshot] = Library(snapshot, earlier)
        return library


@dataclass
class AnswerPlan:
    """Everything an answer says, as data; `passages[n - 1]` is the passage cited as [n]."""

    intent: Intent
    summary: list[BottomLine] = field(default_factory=list)
    sections: list[AnswerSection] = field(default_factory=list)
    related: list[RelatedProgram] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    @property
    def selection(self) -> Selection:
        return Selection(self.passages, self.quotes)

    def cite(self, document: Document, chunk: Chunk, quote: str, passage: Passage | None) -> int:
        for citation in self.citations:
            if citation.document_id == document.id and citation.quote == quote:
                return citation.n
        n = len(self.citations) + 1
        meta = chunk.metadata
        page = meta.get("page")
        self.passages.append(passage or Passage(chunk, 0.0, 0.0))
        self.quotes.append(quote)
        self.citations.append(
            Citation(
                n=n,
                document_id=document.id,
                title=document.title,
                url=document.url,
                kind=document.kind,
                verdict=document.verdict,
                rating_source=document.rating_source,
                section=chunk.section,
                quote=quote,
                page=int(page) if isinstance(page, int | float) and not isinstance(page, bool) else None,
                relevance_rank=n,
            )
        )
        return n


@lru_cache(maxsize=200_000)
def _quotable(unit: str) -> bool:
    """Template blanks and bare form labels ("Program name:") are never quoted."""
    return not _BLANK.search(unit) and not _FORM_FIELD.match(unit) and len(unit.split()) >= 4


@lru_cache(maxsize=200_000)
def _finding_prior(unit: str) -> float:
    """What makes a sentence a document's key finding whatever the question: it reports an effect or a
    rating, states nothing unconfirmed, is short, and is more than a bare verdict label."""
    s = 3.0 if _EFFECT_WORDS.search(unit) else 2.0 if _RATING.search(unit) else 0.0
    s -= 4.0 if _UNCONFIRMED.search(unit) else 0.0
    s -= 1.0 if len(unit.split()) > FINDING_WORDS else 0.0
    s -= 2.0 if unit.lower().startswith("verdict:") and len(unit.split()) < 6 else 0.0
    return s


def _pick(
    chunks: Iterable[Chunk],
    question: str,
    limit: int,
    score: Callable[[str, int], float],
    allowed: Callable[[str], bool],
) -> tuple[Chunk, str] | None:
    """The best-scoring quotable sentence of the chunks, grown by neighbours while it stays short."""
    best: tuple[float, int, Chunk, tuple[str, ...], int] | None = None
    order = 0
    for chunk in chunks:
        units = units_of(chunk.text)
        for i, unit in enumerate(units):
            order += 1
            if not _quotable(unit) or not allowed(unit) or len(unit.split()) > limit + 15:
                continue
            s = score(unit, order)
            if best is None or s > best[0]:
                best = (s, -order, chunk, units, i)
    if best is None:
        return None
    _, _, chunk, units, i = best
    wanted = question_stems(question)
    lo, hi, size = i, i, len(units[i].split())
    # a sentence that shares nothing with the question stays alone; a relevant one may take a neighbour
    while True:
        options = [
            (len(wanted & stems_of(units[j])), j)
            for j in (lo - 1, hi + 1)
            if 0 <= j < len(units) and _quotable(units[j]) and allowed(units[j])
        ]
        options = [(o, j) for o, j in options if o > 0 and size + len(units[j].split()) <= limit]
        if not options:
            break
        _, j = max(options)
        size += len(units[j].split())
        lo, hi = min(lo, j), max(hi, j)
    return chunk, " ".join(units[lo : hi + 1])


@dataclass(frozen=True)
class Quoted:
    """A quote chosen for the answer and not yet cited: from which document, which chunk."""

    document: Document
    chunk: Chunk
    quote: str
    passage: Passage | None

    @property
    def words(self) -> int:
        doc = self.document
        head = [doc.title]
        if doc.rated:
            head += [VERDICT_HEADINGS[doc.verdict], doc.rating_source or ""]
            head += [strength_beyond(doc.rating_source, doc.strength) or ""]
        return sum(len(h.split()) for h in head) + len(self.quote.split())


class Planner:
    """Turns retrieved passages into an AnswerPlan for one question."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def plan(
        self,
        question: str,
        ranked: Selection,
        links: list[Link] | None = None,
        filters: dict[str, list[str]] | None = None,
        see_also: Selection | None = None,
    ) -> AnswerPlan:
        """`ranked`: the relevant passages, best first (from `select_passages`); links: names in the question;
        filters: the request's, which alternatives obey too; `see_also`: passages of other documents found
        relevant, listed after the bottom lines (never a bottom line of their own)."""
        lib = self.library
        links = lib.links(question) if links is None else links
        linked = [d for d in linked_documents(links) if d in lib.documents]
        intent = classify(question, len(linked))
        plan = AnswerPlan(intent=intent)
        # the program's own name is in every sentence about it: what else the question asks is what counts
        question = lib.named(question, links).rest
        retrieved_order = list(dict.fromkeys(p.chunk.document_id for p in ranked.passages))
        if linked:
            count = MAX_COMPARED if intent == "compare" else MAX_BOTTOM_LINES
            docs = linked[:count]
        else:
            docs = retrieved_order[: MAX_BOTTOM_LINES if intent in ("effect", "compare") else 2]
        best_passage: dict[str, Passage] = {}
        for p in ranked.passages:
            best_passage.setdefault(p.chunk.document_id, p)

        pending = [
            c
            for c in (self._bottom_line(lib.documents[d], question, best_passage.get(d)) for d in docs)
            if c is not None
        ]
        if not pending:
            return plan
        several = len(pending) > 1
        words = self._add_line(plan, pending[0])
        items = self._section_items(plan, [c.document for c in pending], question, {c.quote for c in pending})
        if items and intent not in ("effect", "compare"):
            words += self._add_item(plan, items.pop(0), several)
        for candidate in pending[1:]:
            cost = candidate.words
            if intent == "compare" or words + cost <= WORD_BUDGET or candidate.document.id in linked:
                words += self._add_line(plan, candidate)
        plan.related = self._related(plan, filters)
        words += sum(len(r.title.split()) + 3 for r in plan.related)
        shown = {b.document_id for b in plan.summary}
        for item in items:
            if sum(len(s.items) for s in plan.sections) >= MAX_SECTION_ITEMS:
                break
            cost = len(item.quote.split()) + 3
            if item.document.id in shown and words + cost <= WORD_BUDGET:
                words += self._add_item(plan, item, several)
        if see_also is not None:
            ranked = Selection(ranked.passages + see_also.passages, ranked.quotes + see_also.quotes)
        plan.related += self._see_also(plan, ranked, question)
        self._renumber(plan)
        return plan

    # -- the parts ----------------------------------------------------------------------
    def _bottom_line(self, doc: Document, question: str, passage: Passage | None) -> Quoted | None:
        found = self._finding(doc, question)
        if found is None and passage is not None:
            found = _pick([passage.chunk], question, FINDING_WORDS, self._scorer(question, True), self._own(doc))
        if found is None:
            return None
        chunk, quote = found
        retrieved = passage if passage is not None and passage.chunk.id == chunk.id else None
        return Quoted(doc, chunk, self.library.display(quote), retrieved)

    def _add_line(self, plan: AnswerPlan, c: Quoted) -> int:
        doc = c.document
        n = plan.cite(doc, c.chunk, c.quote, c.passage)
        plan.summary.append(
            BottomLine(
                document_id=doc.id,
                title=doc.title,
                kind=doc.kind,
                verdict=doc.verdict,
                rating_source=doc.rating_source,
                strength=strength_beyond(doc.rating_source, doc.strength),
                finding=c.quote,
                n=n,
            )
        )
        return c.words

    def _finding(self, doc: Document, question: str) -> tuple[Chunk, str] | None:
        """The key finding: a sentence of the Summary or Evidence that reports an effect of this document's
        intervention and names no other one."""
        chunks = [c for c in doc.chunks if top_section(c.section) in FINDING_SECTIONS]
        wanted = question_stems(question)

        def score(unit: str, order: int) -> float:
            return _finding_prior(unit) + min(3, len(wanted & stems_of(unit))) * 0.5 - order * 0.01

        return _pick(chunks, question, FINDING_WORDS, score, self._own(doc))

    def _own(self, doc: Document) -> Callable[[str], bool]:
        """A sentence about this document's intervention only: it names no other document."""
        return lambda unit: not (self.library.mentions(unit) - {doc.id})

    @staticmethod
    def _scorer(question: str, effect: bool) -> Callable[[str, int], float]:
        wanted = question_stems(question)

        def score(unit: str, order: int) -> float:
            s = float(len(wanted & stems_of(unit)))
            if effect and _EFFECT_WORDS.search(unit):
                s += 1.0
            return s - order * 0.01

        return score

    def _section_items(self, plan: AnswerPlan, docs: list[Document], question: str, taken: set[str]) -> list[Quoted]:
        """One quote per document from the section the intent needs (Evidence beyond the finding for effect)."""
        if plan.intent == "compare":
            return []
        items: list[Quoted] = []
        for doc in docs:
            chunks = doc.in_sections(INTENT_SECTIONS[plan.intent])
            if not chunks:
                continue
            own = self._own(doc)
            found = _pick(
                chunks,
                question,
                QUOTE_WORDS,
                self._scorer(question, plan.intent == "effect" or wants_effect(question)),
                lambda u, own=own: own(u) and not any(u in q for q in taken),  # type: ignore[misc]
            )
            if found is None:
                continue
            chunk, quote = found
            items.append(Quoted(doc, chunk, self.library.display(quote), None))
        return items

    def _add_item(self, plan: AnswerPlan, item: Quoted, titled: bool) -> int:
        doc = item.document
        n = plan.cite(doc, item.chunk, item.quote, None)
        if not plan.sections:
            plan.sections.append(AnswerSection(intent=plan.intent, label=INTENT_LABELS[plan.intent], items=[]))
        plan.sections[0].items.append(SectionItem(n=n, document_id=doc.id, title=doc.title, text=item.quote))
        return len(item.quote.split()) + (len(doc.title.split()) if titled else 0) + 2

    def _related(self, plan: AnswerPlan, filters: dict[str, list[str]] | None) -> list[RelatedProgram]:
        """Better-supported programs that a harmful, null or mixed program's own document points to."""
        shown = {b.document_id for b in plan.summary}
        related: list[RelatedProgram] = []
        for line in plan.summary:
            doc = self.library.documents[line.document_id]
            if not doc.rated or doc.verdict not in WEAK_VERDICTS:
                continue
            for chunk in doc.chunks:
                for other_id in _in_order(self.library, chunk.text):
                    other = self.library.documents[other_id]
                    if other_id in shown or not other.rated or other.verdict not in STRONG_VERDICTS:
                        continue
                    if not matches_filters(other.chunks[0].metadata, filters):
                        continue
                    found = self._finding(other, "")
                    if found is None:
                        continue
                    shown.add(other_id)
                    n = plan.cite(other, found[0], self.library.display(found[1]), None)
                    related.append(_related_entry(other, n, "alternative"))
                    if len(related) >= MAX_RELATED:
                        return related
        return related

    def _see_also(self, plan: AnswerPlan, ranked: Selection, question: str) -> list[RelatedProgram]:
        """The other relevant documents, up to MAX_DOCUMENTS in all, each cited by its best passage."""
        shown = {b.document_id for b in plan.summary} | {r.document_id for r in plan.related}
        found: list[RelatedProgram] = []
        for passage, quote in zip(ranked.passages, ranked.quotes, strict=True):
            doc = self.library.documents.get(passage.chunk.document_id)
            if doc is None or doc.id in shown or len(shown) >= MAX_DOCUMENTS:
                continue
            if not _quotable(quote) or _BLANK.search(quote):
                picked = _pick([passage.chunk], question, QUOTE_WORDS, self._scorer(question, False), lambda _u: True)
                if picked is None:
                    continue
                quote = picked[1]
            shown.add(doc.id)
            n = plan.cite(doc, passage.chunk, self.library.display(quote), passage)
            found.append(_related_entry(doc, n, "see-also"))
        return found

    @staticmethod
    def _renumber(plan: AnswerPlan) -> None:
        """Citations numbered in reading order: bottom lines, then section quotes."""
        used: list[int] = [b.n for b in plan.summary] + [i.n for s in plan.sections for i in s.items]
        used += [r.n for r in plan.related if r.n is not None]
        order = list(dict.fromkeys(used))
        new = {old: k for k, old in enumerate(order, 1)}
        plan.passages = [plan.passages[old - 1] for old in order]
        plan.quotes = [plan.quotes[old - 1] for old in order]
        by_n = {c.n: c for c in plan.citations}
        plan.citations = [by_n[old].model_copy(update={"n": new[old], "relevance_rank": new[old]}) for old in order]
        for b in plan.summary:
            b.n = new[b.n]
        for s in plan.sections:
            for i in s.items:
                i.n = new[i.n]
        for r in plan.related:
            r.n = new[r.n] if r.n is not None else None


def _related_entry(doc: Document, n: int, reason: Literal["alternative", "see-also"]) -> RelatedProgram:
    return RelatedProgram(
        document_id=doc.id,
        title=doc.title,
        kind=doc.kind,
        verdict=doc.verdict,
        rating_source=doc.rating_source,
        reason=reason,
        n=n,
    )


def _in_order(library: Library, text: str) -> list[str]:
    """Documents named or cross-referenced in the text, in order of appearance."""
    hits: list[tuple[int, str]] = [
        (m.start(), m.group(0)) for m in _ID.finditer(text) if m.group(0) in library.documents
    ]
    return list(dict.fromkeys(d for _, d in sorted(hits)))


@dataclass(frozen=True)
class Frame:
    """The words around an answer in one language; the quotes inside stay verbatim in their own.

    `english` marks a quote in English when the frame is another language ("(en anglais)");
    `section_labels` names sections by intent (else their own label).
    """

    verdicts: Mapping[EvidenceVerdict, str]
    colon: str
    related_labels: Mapping[str, str]
    no_link: str
    english: str = ""
    section_labels: Mapping[Intent, str] | None = None
    section_name: Callable[[str], str] | None = None  # a cited passage's section, named in the frame's language


RELATED_LABELS = {"alternative": "Better-supported alternatives", "see-also": "Also in the evidence base"}
ENGLISH = Frame(VERDICT_HEADINGS, ":", RELATED_LABELS, "(no link)")


def render_head(plan: AnswerPlan, frame: Frame = ENGLISH) -> str:
    """The bottom lines, one per intervention: what a member reads first."""
    lines: list[str] = []
    for b in plan.summary:
        rating = f" {_rating(b, frame)}." if b.kind in RATED_KINDS else ""
        lines.append(f"**{b.title}**{frame.colon}{rating}")
        lines.append(f"\u201c{b.finding}\u201d [{b.n}]" + _marked(frame, b.language))
        lines.append("")
    return "\n".join(lines).strip()


def render_tail(plan: AnswerPlan, frame: Frame = ENGLISH) -> str:
    """Supporting quotes for the intent, the alternatives, then the sources list."""
    lines: list[str] = []
    for section in plan.sections:
        label = frame.section_labels[section.intent] if frame.section_labels else section.label
        lines.append(f"**{label}**")
        single = len(plan.summary) == 1
        for item in section.items:
            who = "" if single else f"{item.title}{frame.colon} "
            lines.append(f"- {who}\u201c{item.text}\u201d [{item.n}]" + _marked(frame, item.language))
        lines.append("")
    for reason, label in frame.related_labels.items():
        related = [r for r in plan.related if r.reason == reason]
        if related:
            names = "; ".join(_related_name(r, frame) for r in related)
            lines += [f"**{label}**{frame.colon} {names}.", ""]
    lines.append(sources_markdown(plan.citations, frame))
    return "\n".join(lines).strip()


def _marked(frame: Frame, language: str = "en") -> str:
    """' (en anglais)' after an English quote in a frame of another language."""
    return f" {frame.english}" if frame.english and language != "fr" else ""


def _related_name(r: RelatedProgram, frame: Frame = ENGLISH) -> str:
    verdict = f" ({frame.verdicts[r.verdict].lower()})" if r.kind in RATED_KINDS else ""
    return f"{r.title}{verdict}" + (f" [{r.n}]" if r.n is not None else "")


def render_markdown(plan: AnswerPlan, prose: str | None = None, frame: Frame = ENGLISH) -> str:
    """The plan as Markdown (for API users and logs): bottom lines, written text, sections, related, sources."""
    return "\n\n".join(part for part in (render_head(plan, frame), prose, render_tail(plan, frame)) if part)


def _rating(b: BottomLine, frame: Frame = ENGLISH) -> str:
    detail = "; ".join(p for p in (b.rating_source, strength_beyond(b.rating_source, b.strength)) if p)
    return frame.verdicts[b.verdict] + (f" ({detail})" if detail else "")


def strength_beyond(rating_source: str | None, strength: str | None) -> str | None:
    """The strength, unless the rating source already says most of it."""
    if not strength:
        return None
    said = content_stems(rating_source or "")
    words = content_stems(strength)
    return None if words and len(words & said) / len(words) >= 0.6 else strength


def sources_markdown(citations: list[Citation], frame: Frame = ENGLISH) -> str:
    lines = ["**Sources**"]
    for c in citations:
        rated = [frame.verdicts[c.verdict].lower()] if c.kind in RATED_KINDS else []
        rated += [c.rating_source] if c.rating_source else []
        section = frame.section_name(c.section) if frame.section_name and c.section else c.section
        where = f" — {section}" if section else ""
        link = f" <{c.url}>" if c.url else f" {frame.no_link}"
        lines.append(
            f"[{c.n}] {c.title}{where}"
            + (f" ({', '.join(rated)})" if rated else "")
            + link
            + _marked(frame, c.language)
        )
    return "\n".join(lines)
