"""The answer every face receives, as data: bottom lines, sections, related programs, citations.

Faces (widget, Slack, CLI) render from these fields; `answer` is the same answer as Markdown
for API users and for logs, and no face parses it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from assistant.core.evidence import EvidenceVerdict
from assistant.core.inputs import MAX_TURN_CHARS, NO_CONTROL_PATTERN, VISIBLE_PATTERN, checked_text

AnswerMode = Literal["extractive", "llm", "llm-fallback"]
Intent = Literal["effect", "describe", "howto", "cost", "canada", "who", "compare"]


class Citation(BaseModel):
    n: int = Field(description="The number used by the inline [n] marker.")
    document_id: str
    title: str
    url: str | None = Field(default=None, description="Link to the source document, when it has one.")
    kind: str = Field(
        default="program",
        description="program, practice, review, guide, policy or data; only programs and practices show a verdict.",
    )
    verdict: EvidenceVerdict
    rating_source: str | None = None
    section: str = Field(default="", description="Section path of the quoted passage, e.g. 'Evidence'.")
    quote: str = Field(description="The passage, verbatim from the document.")
    page: int | None = Field(default=None, description="Page number, for PDFs.")
    relevance_rank: int = Field(default=1, description="1 for the passage that matched the question best.")
    language: Literal["en", "fr"] = Field(
        default="en", description="The quote's language: a French answer quotes a document's French twin."
    )


class BottomLine(BaseModel):
    """One intervention the answer covers, in one line: its verdict and its key finding, quoted."""

    document_id: str
    title: str
    kind: str = Field(description="program, practice, review, guide, policy or data.")
    verdict: EvidenceVerdict = Field(description="The document's verdict; only programs and practices show it.")
    rating_source: str | None = None
    strength: str | None = Field(default=None, description='e.g. "systematic review of 9 randomised trials".')
    finding: str = Field(description="The key finding, verbatim from the document's Evidence or Summary.")
    n: int = Field(description="The citation of the finding.")
    language: Literal["en", "fr"] = Field(
        default="en", description="The finding's language: a French answer quotes a document's French summary."
    )


class SectionItem(BaseModel):
    """A supporting quote: verbatim, with cross-references shown as titles."""

    n: int
    document_id: str
    title: str
    text: str
    language: Literal["en", "fr"] = Field(default="en", description="The quote's language.")


class AnswerSection(BaseModel):
    """Quotes that answer the question's intent (how to set it up, what it costs...)."""

    intent: Intent
    label: str = Field(description='English heading, e.g. "Setting it up"; faces may translate by intent.')
    items: list[SectionItem]


class RelatedProgram(BaseModel):
    """A document worth knowing beside the ones asked about: an alternative to a harmful or null program,
    or another relevant document of the evidence base ("see-also"). Its quote is in its citation."""

    document_id: str
    title: str
    kind: str = "program"
    verdict: EvidenceVerdict
    rating_source: str | None = None
    reason: Literal["alternative", "see-also"] = "alternative"
    n: int | None = Field(default=None, description="The citation holding its finding or best passage.")


class Topic(BaseModel):
    """A topic the evidence base covers, offered when a question is not covered."""

    document_id: str
    title: str
    question: str = Field(description="A follow-up question a user can send with one click.")


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS, json_schema_extra={"pattern": NO_CONTROL_PATTERN})
    question_id: str | None = Field(
        default=None,
        max_length=64,
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
        description="For an assistant turn: the question_id of that answer, so a follow-up continues its topic.",
    )
    cited: list[Annotated[str, Field(max_length=80, json_schema_extra={"pattern": VISIBLE_PATTERN})]] | None = Field(
        default=None,
        max_length=20,
        description="For an assistant turn without a question_id: the document ids it cited, in order.",
    )

    @field_validator("content", "question_id")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else checked_text(value, "conversation turn", allow_empty=True)

    @field_validator("cited")
    @classmethod
    def _cited(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [checked_text(v, "cited document id") for v in value]


class AskResponse(BaseModel):
    """The same payload for the CLI, the widget and Slack."""

    answer: str = Field(description="Markdown with inline [n] citations and a sources list (for API users).")
    language: Literal["en", "fr"] = Field(
        default="en", description="The answer's language (the question's); quotes keep their own."
    )
    intent: Intent = Field(default="effect", description="What the question asks for; picks the sections quoted.")
    summary: list[BottomLine] = Field(
        default_factory=list, description="One line per intervention, most relevant first."
    )
    sections: list[AnswerSection] = Field(default_factory=list, description="Supporting quotes for the intent.")
    related: list[RelatedProgram] = Field(default_factory=list)
    prose: str | None = Field(
        default=None, description="A written (LLM) answer's text with [n] markers, without the sources list."
    )
    citations: list[Citation] = Field(default_factory=list)
    no_evidence: bool = False
    unsupported_language: str | None = Field(
        default=None,
        description="The question's language (ISO 639-1) when whatworks does not answer in it; the answer "
        "then says, in English and French, which languages it answers, and nothing was searched.",
    )
    nearest_topics: list[Topic] = Field(default_factory=list)
    answer_mode: AnswerMode = "extractive"
    question_id: str
    standalone_question: str = Field(description="The question as searched (follow-ups made standalone).")
    dropped_sentences: int = Field(default=0, description="LLM sentences dropped for lack of support.")
    timings_ms: dict[str, float] = Field(default_factory=dict)


# The reply to a question in a language we do not answer, in both of ours (the one the face is in first).
UNSUPPORTED_LANGUAGE_TEXT = {
    "en": "whatworks answers questions in English and French only, so this question was not searched. "
    "Please ask it again in English or in French.",
    "fr": "whatworks répond aux questions en anglais et en français seulement : cette question n'a donc pas "
    "été cherchée. Posez-la de nouveau en français ou en anglais.",
}


def unsupported_language_answer(first: str | None = None) -> str:
    order = ("fr", "en") if first == "fr" else ("en", "fr")
    return "\n\n".join(UNSUPPORTED_LANGUAGE_TEXT[lang] for lang in order)


# The French frame of an answer, for every face that renders one (the Slack bot may import this module).
IN_ENGLISH = "(en anglais)"
VERDICTS_FR: dict[EvidenceVerdict, str] = {
    EvidenceVerdict.EFFECTIVE: "Efficace",
    EvidenceVerdict.PROMISING: "Prometteur",
    EvidenceVerdict.MIXED: "Résultats mitigés",
    EvidenceVerdict.NO_EFFECT: "Aucun effet",
    EvidenceVerdict.HARMFUL: "Néfaste",
    EvidenceVerdict.NOT_RATED: "Pas encore évalué par notre équipe",
}
INTENT_LABELS_FR: dict[Intent, str] = {
    "effect": "Ce que montrent les données",
    "compare": "Côte à côte",
    "describe": "En quoi ça consiste",
    "howto": "Mise en œuvre",
    "cost": "Coûts",
    "canada": "Au Canada",
    "who": "Pour qui",
}
RELATED_LABELS_FR = {"alternative": "Solutions mieux appuyées", "see-also": "Aussi dans la base de données probantes"}


class ErrorBody(BaseModel):
    """Every error the API returns: one sentence a person can act on."""

    detail: str = Field(description="What went wrong and what to do, e.g. 'question: the question is empty'.")


_ERRORS = {
    400: "The body could not be read as JSON.",
    401: "Missing or wrong X-API-Key header.",
    403: "A voter session this server did not issue (or issued before a restart): ask for a new one.",
    404: "No answer or document with that id.",
    409: "This voter already voted on this answer.",
    422: "A field is invalid; `detail` names it and says what to send.",
    429: "Too many requests from this client in a short time; retry after `Retry-After` seconds.",
    503: "The evidence index or a store is unavailable; retry after `Retry-After` seconds.",
}


def error_responses(*extra: int) -> dict[int | str, dict[str, Any]]:
    """The error statuses a route returns, each with the ErrorBody it sends (for the OpenAPI schema)."""
    return {
        code: {"model": ErrorBody, "description": _ERRORS[code]} for code in sorted({400, 401, 422, 429, 503, *extra})
    }
