"""The answer every face receives: text, citations, verdict groups, and how it was made."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.evidence import EvidenceVerdict

AnswerMode = Literal["extractive", "llm", "llm-fallback"]


class Citation(BaseModel):
    n: int = Field(description="The number used by the inline [n] marker.")
    document_id: str
    title: str
    url: str | None = Field(default=None, description="Link to the source document, when it has one.")
    verdict: EvidenceVerdict
    rating_source: str | None = None
    section: str = Field(default="", description="Section path of the quoted passage, e.g. 'Evidence'.")
    quote: str = Field(description="The passage, verbatim from the document.")
    page: int | None = Field(default=None, description="Page number, for PDFs.")
    relevance_rank: int = Field(default=1, description="1 for the passage that matched the question best.")


class AnswerItem(BaseModel):
    n: int
    text: str


class VerdictGroup(BaseModel):
    """Passages of documents with one verdict, in the answer's order."""

    verdict: EvidenceVerdict
    label: str = Field(description='Heading for the group, e.g. "What works".')
    items: list[AnswerItem]


class Topic(BaseModel):
    """A topic the evidence base covers, offered when a question is not covered."""

    document_id: str
    title: str
    question: str = Field(description="A follow-up question a user can send with one click.")


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskResponse(BaseModel):
    """The same payload for the CLI, the widget and Slack."""

    answer: str = Field(description="Markdown with inline [n] citations and a sources list.")
    citations: list[Citation] = Field(default_factory=list)
    groups: list[VerdictGroup] = Field(default_factory=list, description="Extractive answers: passages by verdict.")
    no_evidence: bool = False
    nearest_topics: list[Topic] = Field(default_factory=list)
    answer_mode: AnswerMode = "extractive"
    question_id: str
    standalone_question: str = Field(description="The question as searched (follow-ups made standalone).")
    dropped_sentences: int = Field(default=0, description="LLM sentences dropped for lack of support.")
    timings_ms: dict[str, float] = Field(default_factory=dict)
