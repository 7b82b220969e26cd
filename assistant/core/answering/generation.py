"""Answers written by an LLM (any LangChain chat model), streamed sentence by sentence after verification."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Sequence
from typing import Any

from assistant.core.answering.extractive import Selection
from assistant.core.answering.followup import Memory, standalone_question
from assistant.core.answering.linking import NamedProgram
from assistant.core.answering.planning import AnswerPlan, render_markdown
from assistant.core.answering.text import carries_instruction, content_stems
from assistant.core.answers import AnswerMode, Message
from assistant.core.embeddings import Embedder
from assistant.core.evidence import VERDICT_HEADINGS, EvidenceVerdict
from assistant.core.retrieval import Passage
from assistant.core.settings import LLMSettings
from assistant.core.verification.judge import ClaimJudge
from assistant.core.verification.verifier import CITATION, CitedPassage, SentenceVerifier

log = logging.getLogger(__name__)

SYSTEM = (
    "You answer questions from municipal crime-prevention staff using ONLY the numbered passages given. "
    "Write 2 to 5 short sentences in plain words. End every sentence with the number of the passage it "
    "comes from, like [1]. Say plainly when a program had no effect or caused harm. Do not add facts, "
    "numbers or programs that are not in the passages."
)
# One worked exchange shown before the question, to set the form: short sentences, each with its number.
# SmolLM2-135M cited by the system prompt alone on one CPU and wrote only uncited sentences on another
# (an AMD EPYC without VNNI), where every answer then fell back; the example did not change that there
# (8 of 8 answers still uncited), and placing uncited sentences (SentenceVerifier.attribute) is what did.
# Its programs are invented, so anything copied from it names nothing the passages do and is dropped.
EXAMPLE_QUESTION = (
    "Passages:\n"
    "[1] Night patrol scheme (No effect): Two trials in three towns found that the night patrol scheme did "
    "not change the number of burglaries reported in the streets it covered.\n"
    "[2] Neighbour mediation (Promising): One study found that neighbour mediation cut repeat complaints "
    "about noise, though only in one city.\n"
    "\n"
    "Question: does a night patrol scheme reduce burglary?"
)
EXAMPLE_ANSWER = (
    "No: in two trials the night patrol scheme did not change the number of burglaries reported [1]. "
    "Neighbour mediation is a different approach; one study in one city found it cut repeat noise complaints [2]."
)
REWRITE = (
    "Rewrite the user's last question so it can be understood without the conversation. "
    "Reply with the rewritten question only."
)
# a sentence ends at . ! or ? plus any [n] markers, once more text follows; or at a line break. Not at the
# last dot of "D.A.R.E." or "U.S.": cut there, "keeps pupils off drugs [1]" would be checked without its name
_END = re.compile(r"(?:(?<![A-Z]\.[A-Z])\.|[!?])(?:\s*\[\d{1,2}\])*(?=\s+[^\s\[])|\n")
# a sentence that reached its end: a stop, then perhaps quotes, brackets and [n] markers
_ENDED = re.compile(r"(?:[.!?][\"'\u201d)]*\s*(?:\[\d{1,2}\]\s*)*|\[\d{1,2}\]\s*[.!?])\s*$")
_LIST_MARK = re.compile(r"(^|\n)[ \t]*(?:\d{1,2}[.)]|[-*\u2022])[ \t]+")

# the written text (None when the extractive answer stands instead), how it was made, sentences dropped
AnswerResult = tuple[str | None, AnswerMode, int]


def make_chat_model(settings: LLMSettings) -> Any:
    """The LangChain chat model for the configured provider (imported only when used)."""
    match settings.provider:
        case "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=settings.model,
                base_url=settings.base_url,
                api_key=settings.api_key,
                temperature=settings.temperature,
                # as `max_tokens` in the body: LangChain sends its own max_tokens as `max_completion_tokens`,
                # which llama.cpp's server (0.3.x) ignores, and a small model that loops then wrote until
                # its context was full (1,500 word pieces for one D.A.R.E. answer, against a cap of 160)
                extra_body={"max_tokens": settings.max_tokens},
                timeout=settings.timeout_seconds,
                max_retries=1,
            )
        case "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=settings.model,
                base_url=settings.base_url,
                temperature=settings.temperature,
                num_predict=settings.max_tokens,
            )
        case _:
            raise ValueError(f"no chat model for provider {settings.provider!r}")


def passages_prompt(question: str, selection: Selection) -> str:
    lines = ["Passages:"]
    for n, passage in enumerate(selection.passages, 1):
        verdict = VERDICT_HEADINGS[EvidenceVerdict(str(passage.chunk.metadata.get("verdict")))]
        lines.append(f"[{n}] {passage.chunk.title} ({verdict}): {' '.join(passage.chunk.text.split())}")
    lines.append("")
    lines.append(f"Question: {question}")
    return "\n".join(lines)


class LLMAnswerer:
    """Writes with the chat model, keeps only verified sentences, falls back to the extractive answer."""

    def __init__(self, chat_model: Any, embedder: Embedder, judge: ClaimJudge | None = None) -> None:
        self.chat_model = chat_model
        self.verifier = SentenceVerifier(embedder, judge=judge)

    def prepare(self) -> None:
        """Load the verifier's judge now (start-up), not at the first written sentence."""
        prepare = getattr(self.verifier.judge, "prepare", None)
        if prepare is not None:
            prepare()

    def standalone(
        self,
        question: str,
        conversation: list[Message],
        memory: Memory | None = None,
    ) -> str:
        """The LLM's rewrite when it looks sane, else the rule-based one."""
        fallback = standalone_question(question, conversation, memory)
        if fallback == question.strip():
            return fallback
        try:
            history = "\n".join(f"{t.role}: {' '.join(t.content.split())[:400]}" for t in conversation[-4:])
            reply = self.chat_model.invoke(
                [("system", REWRITE), ("user", f"{history}\nuser: {question}\n\nRewritten question:")]
            )
            text = " ".join(str(reply.content).split())
        except Exception:
            log.warning("follow-up rewrite by the LLM failed; using the rule-based one", exc_info=True)
            return fallback
        return text if rewrite_is_safe(text, question, fallback) else fallback

    def answer_events(
        self, question: str, plan: AnswerPlan, rated: Callable[[str], Sequence[NamedProgram]] | None = None
    ) -> Generator[tuple[str, Any], None, AnswerResult]:
        """Yield ('delta', ...) for each verified sentence; return the written text, or None to keep the plan's
        extractive answer. The LLM sees the plan's passages under the numbers the plan cites them by.
        `rated` (the library's RatedNames) lets the verifier drop a sentence saying a program works while
        naming one rated harmful, no effect or mixed, whichever passage it cites."""
        selection = plan.selection
        given = {n: cited_passage(p) for n, p in enumerate(selection.passages, 1)}
        kept: list[str] = []
        total = 0
        buffer = ""
        try:
            stream = self.chat_model.stream(
                [
                    ("system", SYSTEM),
                    ("user", EXAMPLE_QUESTION),
                    ("assistant", EXAMPLE_ANSWER),
                    ("user", passages_prompt(question, selection)),
                ]
            )
            cut_off = False
            for chunk in stream:
                buffer += str(chunk.content)
                # the model stopped at the word-piece cap: what follows the last full sentence is cut off
                cut_off = cut_off or getattr(chunk, "response_metadata", {}).get("finish_reason") == "length"
                sentences, buffer = _complete_sentences(buffer)
                for sentence in sentences:
                    total += 1
                    sentence = _without_answer_word(sentence)
                    sentence = self.verifier.attribute(sentence, given) or sentence
                    if sentence in kept:  # a model that repeats itself: said once is enough, and counted once
                        total -= 1
                        continue
                    verdict = self.verifier.check(sentence, given, rated)
                    if verdict.supported:
                        kept.append(sentence)
                        yield "delta", {"text": ("" if len(kept) == 1 else " ") + sentence}
                    else:
                        log.info("dropped unsupported sentence (%s): %s", verdict.reason, sentence)
            last = _LIST_MARK.sub(r"\1", buffer).strip()
            # "The CMNCP complements CrimeSolutions, and has": half a sentence is never shown (and would have
            # been cited and checked as if whole)
            if (not cut_off or _ENDED.search(last)) and content_stems(CITATION.sub("", last)):
                last = _without_answer_word(last)
                last = self.verifier.attribute(last, given) or last
                total += last not in kept
                verdict = self.verifier.check(last, given, rated)
                if verdict.supported and last not in kept:
                    kept.append(last)
                    yield "delta", {"text": ("" if len(kept) == 1 else " ") + last}
        except Exception:
            log.exception("the LLM failed; answering extractively")
            return (yield from self._fallback(plan, total - len(kept) if total else 0))

        dropped = total - len(kept)
        if not kept or len(kept) < total / 2:
            return (yield from self._fallback(plan, dropped))
        return " ".join(kept), "llm", dropped

    def _fallback(self, plan: AnswerPlan, dropped: int) -> Generator[tuple[str, Any], None, AnswerResult]:
        # the bottom lines (and perhaps some sentences) were streamed already: the extractive answer replaces them
        yield "reset", {"reason": "too little of the written answer was supported by the sources"}
        yield "delta", {"text": render_markdown(plan)}
        return None, "llm-fallback", dropped


def rewrite_is_safe(text: str, question: str, topic: str) -> bool:
    """An LLM's standalone question is kept only when it is a question built from the conversation's topic:
    no role markers, links or instructions, and at most one content word that neither the question nor
    the topic the rules carried over (never the raw turns, which a client may have forged) contains."""
    if not (5 <= len(text) <= 300) or carries_instruction(text) or not text.rstrip().endswith("?"):
        return False
    known = content_stems(question + " " + topic)
    words = content_stems(text)
    return bool(words & known) and len(words - known) <= 1


def cited_passage(passage: Passage) -> CitedPassage:
    """What the verifier knows of a retrieved passage: its text, and its document's name and verdict."""
    meta = passage.chunk.metadata
    aliases = tuple(a for a in str(meta.get("aliases") or "").split("|") if a)
    return CitedPassage(passage.chunk.text, passage.chunk.title, str(meta.get("verdict") or "") or None, aliases)


# "No:" or "Yes," opening a sentence answers the question, which no passage can confirm: the verifier
# checks what follows (the judge read "No: the evidence does not support mentoring" as supported where it
# rejected the same words without "No:"), and a member sees only that; the bottom lines give the verdict
_ANSWER_WORD = re.compile(r"^\s*(?:yes|no)\b\s*[,:;.!\u2013\u2014-]\s*(?=\S)", re.I)


def _without_answer_word(sentence: str) -> str:
    rest = _ANSWER_WORD.sub("", sentence, count=1)
    return rest[:1].upper() + rest[1:] if rest != sentence else sentence


def _complete_sentences(buffer: str) -> tuple[list[str], str]:
    """Sentences whose end (and trailing [n] markers) has arrived; the rest stays buffered.

    List markers ("1.", "-") and line breaks delimit sentences too, so a list is checked item by item.
    """
    text = _LIST_MARK.sub(r"\1", buffer)
    sentences: list[str] = []
    pos = 0
    for match in _END.finditer(text):
        sentence = text[pos : match.end()].strip()
        if content_stems(CITATION.sub("", sentence)):
            sentences.append(sentence)
        pos = match.end()
    return sentences, text[pos:]
