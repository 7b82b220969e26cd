"""A French answer from the same evidence: the frame in French, every quote verbatim in its own language.

The plan itself is made as for an English question, from an English "shadow" of the French
one: what it asks (its intent, read from French cue words) and the titles of the documents the
multilingual search found. Then the frame is French: verdict names, headings, the no-evidence
reply. A bottom line quotes the document's own French summary when it has one; a supporting quote
or a cited passage is given in the words of the document's French twin when the twin says the same
(`TwinAligner`); every English quote left is marked "(en anglais)".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.core.answering.planning import AnswerPlan, Frame, Library, render_markdown
from assistant.core.answering.text import split_sentences
from assistant.core.answers import (
    IN_ENGLISH,
    INTENT_LABELS_FR,
    RELATED_LABELS_FR,
    VERDICTS_FR,
    BottomLine,
    Intent,
    Topic,
)
from assistant.core.chunks import Chunk
from assistant.core.crosslingual import TwinAligner

# French cue words for each intent, first match wins; "does it work" is the default.
_INTENT_CUES: list[tuple[Intent, re.Pattern[str]]] = [
    ("compare", re.compile(r"\b(compar\w*|versus|vs\.?|lequel|laquelle|mieux que|plut[oô]t que)\b", re.I)),
    ("cost", re.compile(r"\b(co[uû]t\w*|combien|budget\w*|prix|cher|ch[eè]re|rentab\w*|\$|dollars?)", re.I)),
    (
        "howto",
        re.compile(
            r"\b(comment (?:mettre|implanter|d[ée]marrer|lancer|organiser|faire|s'y prendre|commencer)|"
            r"mettre en (?:place|[oœ]uvre)|mise en (?:place|[oœ]uvre)|implant\w*|[ée]tapes?|d[ée]marr\w*)",
            re.I,
        ),
    ),
    ("canada", re.compile(r"\b(canad\w*|qu[ée]bec\w*|ontari\w*|manitob\w*|nouveau-brunswick|acadi\w*)", re.I)),
    ("who", re.compile(r"\b(pour qui|quels? (?:jeunes|publics?)|client[eè]le|s'adresse|[aà] qui)\b", re.I)),
    (
        "describe",
        re.compile(
            r"(c'est quoi|c’est quoi|qu.est-ce que|qu.est-ce qu|en quoi consiste|expliqu\w*|d[ée]fini\w*)", re.I
        ),
    ),
]
_SHADOWS: dict[Intent, str] = {
    "effect": "does it work",
    "compare": "compare",
    "describe": "what is",
    "howto": "how to set up and implement",
    "cost": "how much does it cost",
    "canada": "has it been used in Canada",
    "who": "who is it for",
}


def french_intent(question: str) -> Intent:
    for intent, pattern in _INTENT_CUES:
        if pattern.search(question):
            return intent
    return "effect"


def english_shadow(question: str, titles: list[str]) -> str:
    """What the planner reads for a French question: its intent in English words, then the documents found."""
    return f"{_SHADOWS[french_intent(question)]}: {'; '.join(titles)}"


def in_french(
    plan: AnswerPlan,
    library: Library,
    twins: Mapping[str, Sequence[Chunk]] | None = None,
    aligner: TwinAligner | None = None,
) -> AnswerPlan:
    """French names for the plan's documents, and bottom lines that quote a document's French summary when it
    has one. A supporting quote or a cited passage of a document with a French twin is given as the twin's
    own words for it (`TwinAligner`); the rest is marked English."""
    summary: list[BottomLine] = []
    for line in plan.summary:
        french = _french_finding(library, line.document_id)
        update: dict[str, str] = {"title": title_fr(library, line.document_id, line.title)}
        if french:
            update |= {"finding": french, "language": "fr"}
        summary.append(line.model_copy(update=update))
    plan.summary = summary
    plan.related = [r.model_copy(update={"title": title_fr(library, r.document_id, r.title)}) for r in plan.related]
    twins = twins or {}
    for section in plan.sections:
        items = []
        for item in section.items:
            fields: dict[str, str] = {"title": title_fr(library, item.document_id, item.title)}
            aligned = aligner.align(item.text, twins.get(item.document_id, ())) if aligner else None
            if aligned is not None:
                fields |= {"text": aligned.text, "language": "fr"}
            items.append(item.model_copy(update=fields))
        section.items = items
    citations = []
    for citation in plan.citations:
        changes: dict[str, str] = {"title": title_fr(library, citation.document_id, citation.title)}
        summary_fr = _summary_fr(library, citation.document_id)
        if summary_fr and citation.section.lower().startswith("summary"):
            # a twin leaves the summary out: the French summary of the front matter is the document's own,
            # the one the bottom line quotes
            changes |= {"quote": summary_fr, "language": "fr"}
        elif aligner is not None:
            # the same rule as a quote: every sentence of the passage with its counterpart, in one run of one
            # French passage, with the same numbers and polarity; a whole nearest passage could drop a caveat
            aligned = aligner.align(citation.quote, twins.get(citation.document_id, ()))
            if aligned is not None:
                changes |= {"quote": aligned.text, "language": "fr"}
        # `section` stays the English heading: the document a member opens from the citation is the English one
        citations.append(citation.model_copy(update=changes))
    plan.citations = citations
    return plan


# The sections of the evidence base's schema (corpus/README.md), named in French where a French answer
# cites an English passage: "[2] Cercles de détermination de la peine — En quoi ça consiste (en anglais)".
SECTIONS_FR = {
    "summary": "Résumé",
    "what it is": "En quoi ça consiste",
    "how it works": "Comment ça fonctionne",
    "evidence": "Ce que disent les données",
    "for whom and where it works": "Pour qui et où",
    "implementation": "Mise en œuvre",
    "cost": "Coût",
    "canadian context": "Contexte canadien",
    "steps": "Étapes",
    "common pitfalls": "Pièges courants",
}


def section_fr(section: str) -> str:
    """A section path with the schema's section names in French; other headings as the document has them."""
    return " > ".join(SECTIONS_FR.get(part.strip().lower(), part.strip()) for part in section.split(">"))


def _summary_fr(library: Library, document_id: str) -> str:
    document = library.documents.get(document_id)
    return str(document.chunks[0].metadata.get("summary_fr") or "") if document else ""


def _french_finding(library: Library, document_id: str) -> str | None:
    text = _summary_fr(library, document_id)
    if not text:
        return None
    spans = split_sentences(text)
    kept = [text[s:e] for s, e in spans[:2]]
    return " ".join(kept) if kept else None


def title_fr(library: Library, document_id: str, fallback: str) -> str:
    document = library.documents.get(document_id)
    return str(document.chunks[0].metadata.get("title_fr") or "") or fallback if document else fallback


FRENCH = Frame(
    VERDICTS_FR, " :", RELATED_LABELS_FR, "(sans lien)", IN_ENGLISH, INTENT_LABELS_FR, lambda s: section_fr(s)
)


def render_markdown_fr(plan: AnswerPlan) -> str:
    """The plan (after `in_french`) as Markdown, in French; quotes verbatim, English ones marked."""
    return render_markdown(plan, frame=FRENCH)


def topic_fr(library: Library, document_id: str, title: str) -> Topic:
    name = title_fr(library, document_id, title)
    return Topic(document_id=document_id, title=name, question=f"Que disent les données sur : {name} ?")


NO_EVIDENCE_TEXT_FR = (
    "La base de données probantes ne contient rien sur cette question : je ne peux rien en dire sans "
    "une source à citer."
)


def no_evidence_answer_fr(topics: list[Topic], logged: bool = True) -> str:
    text = NO_EVIDENCE_TEXT_FR
    if topics:
        names = "; ".join(t.title for t in topics)
        text += (
            f" Les sujets les plus proches qu'elle couvre : {names}. Posez une question sur l'un d'eux, ou reformulez."
        )
    if logged:
        text += " Votre question a été notée pour que nos curateurs voient la lacune."
    return text
