"""Make a conversation's last turn standalone before retrieval (rule-based; an LLM may do it instead).

The topic a follow-up continues comes from the previous turn's data, never from the text of
the previous answer: the question as it was searched and the documents the answer cited,
looked up by the answer's `question_id` in the query log (or sent by the face as `cited`).

- "and for girls?" after "what works for youth violence?" is searched as
  "what works for youth violence? and for girls?";
- "how much does it cost?" after "does DARE work?" is searched as "D.A.R.E. (...) how much
  does it cost?": when the previous question named programs, only their names carry over, so
  a document wrongly cited once does not lead every later answer;
- "has the second one been tested in Canada?" takes the title of the second document cited,
  and "does it reduce crime?" after a question that named no program takes the first;
- "and MST?" after "how much does FFT cost?" names a program of its own, so the previous
  question carries over without its program: "how much does cost? and MST?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.core.answering.text import carries_instruction, content_stems
from assistant.core.answers import Message

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|or|also|so|then|what about|how about|same|plus|what if|ok|okay|any|is that|"
    r"does that|do they|does it|is it|are they|was it|were they|can it|could it|would it|how much|"
    r"what does it|what do they|how long|has it|have they|which one|why)\b",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|the program|the programme|the first one|"
    r"the second one|the same|instead|there)\b",
    re.I,
)
MAX_TOPIC_CHARS = 600
_ORDINAL = re.compile(
    r"\b(?:the )?(first|second|third|fourth|fifth|last) (?:one|program|programme|option|idea)\b", re.I
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
# "pis le deuxième ?", "la première option": the article keeps "premier ministre" or "au premier abord" out
_ORDINAL_FR = re.compile(
    r"\b(?:le|la|du|au)\s+(premi[eè]re?|deuxi[eè]me|seconde?|troisi[eè]me|quatri[eè]me|derni[eè]re?)"
    r"(?=\s*(?:[,?!.:;]|$)|\s+(?:programme|option|projet|mod[eè]le|approche|outil|volet|[çc]a|c'est|il|elle|est)\b)",
    re.I,
)
_ORDINALS_FR = {"premier": 0, "premiere": 0, "deuxieme": 1, "second": 1, "seconde": 1, "troisieme": 2, "quatrieme": 3}


def french_ordinal(question: str) -> int | None:
    """Which of the previous answer's programs a French follow-up picks ("le deuxième" is 1, "le dernier" -1)."""
    match = _ORDINAL_FR.search(question)
    if match is None:
        return None
    word = match.group(1).lower().replace("è", "e")
    return -1 if word.startswith("dernier") else _ORDINALS_FR.get(word)


_POINTS_BACK = re.compile(r"\b(it|its|they|them|this|that|these|those|the program|the programme)\b", re.I)


# "et au Canada ?", "pis pour les filles ?", "ça coûte combien ?", "celui de Ross et Fabiano, lui ?": a French
# turn leaning on the one before, by its opening or its pronouns (Quebec's "pis" and "y a-tu" included)
_FOLLOW_UP_START_FR = re.compile(
    r"^\s*(?:et|pis|puis|mais|ou|alors|aussi|sinon|ok|d'accord|pour|qu'en est-il|et si|[çc]a|c'est|celui|celle|"
    r"ceux|celles|lui|eux|le m[êe]me|la m[êe]me|combien|y a-t-il|y a-tu|est-ce que [çc]a)\b",
    re.I,
)
_ANAPHORA_FR = re.compile(
    r"\b(?:[çc]a|cela|ceci|celui(?:-ci|-là)?|celle(?:-ci|-là)?|ceux(?:-ci|-là)?|celles(?:-ci|-là)?|lui|eux|"
    r"ce programme|cette approche|cette mesure|ce mod[èe]le|le programme|la m[êe]me|le m[êe]me|[ée]quivalent)\b",
    re.I,
)
# words of a spoken French question that say nothing of its topic, beyond the stopwords: "pis", "y a-tu", "ça"
_FILLERS_FR = frozenset(
    "pis puis ça ca tu quoi est-ce qu est oui non ok bon ben alors aussi plutôt mieux vraiment peu près "
    "combien comment pourquoi quand où quel quelle quels quelles a-tu a-t-il celui celle ceux celles lui eux "
    "cela ceci".split()
)


def french_content_words(text: str) -> set[str]:
    """The words of a French question that name a topic: no stopwords (bm25s's French list), no fillers."""
    from bm25s.stopwords import STOPWORDS_FRENCH  # the index's own list; bm25s is loaded by then

    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text.lower().replace("’", "'"))
    # "réduit-tu", "sont-ils", "peut-on": the verb, without the pronoun of the question form
    words = [re.sub(r"-(?:t-)?(?:tu|ils?|elles?|on|je|vous|nous)$", "", w) for w in words]
    return {w for w in words if len(w) > 2 and w not in STOPWORDS_FRENCH and w not in _FILLERS_FR}


def is_french_follow_up(question: str) -> bool:
    """A French turn leaning on an earlier one: by its opening or its pronouns with a few words of topic of
    its own (six at most, as in English), or by having almost none."""
    topic = french_content_words(question)
    if (_FOLLOW_UP_START_FR.search(question) or _ANAPHORA_FR.search(question)) and len(topic) <= 6:
        return True
    return len(topic) <= 1


@dataclass(frozen=True)
class PreviousTurn:
    """What a follow-up may continue: the question as searched, and the documents its answer cited."""

    question: str
    cited: tuple[str, ...] = ()


# Looks up a logged answer by question_id: (question as searched, cited document ids), or None.
TurnLookup = Callable[[str], tuple[str, list[str]] | None]


@dataclass(frozen=True)
class Named:
    """The programs a text names (their titles), and the text without those names."""

    titles: tuple[str, ...]
    rest: str


# Finds the programs a text names (the answer's name index); a plain function keeps this module free of it.
NameFinder = Callable[[str], Named]
# The title of a document id (None when unknown), and whether it is a program or practice.
TitleOf = Callable[[str], str | None]
IsProgram = Callable[[str], bool]


def no_names(text: str) -> Named:
    return Named((), text)


def _no_turn(_question_id: str) -> tuple[str, list[str]] | None:
    return None


def _no_title(_document_id: str) -> str | None:
    return None


def _any_document(_document_id: str) -> bool:
    return True


@dataclass(frozen=True)
class Memory:
    """What the service lends to follow-up handling: the log of answers and the evidence base's names."""

    lookup: TurnLookup = _no_turn
    names: NameFinder = no_names
    title_of: TitleOf = _no_title
    is_program: IsProgram = _any_document


def is_follow_up(question: str) -> bool:
    """Leaning on an earlier turn: by its opening, by its pronouns, or by having almost no topic of its own."""
    stems = content_stems(question)
    if _FOLLOW_UP_START.search(question) and len(stems) <= 6:
        return True
    if _ANAPHORA.search(question) and len(stems) <= 6:
        return True
    return len(stems) <= 1


def previous_turn(conversation: Sequence[Message], lookup: TurnLookup) -> PreviousTurn | None:
    """The last answered turn: from the log by question_id, else the last user turn and the answer's `cited`."""
    cited: tuple[str, ...] = ()
    for turn in reversed(conversation):
        if turn.role == "assistant":
            found = lookup(turn.question_id) if turn.question_id else None
            if found:
                return PreviousTurn(found[0], tuple(found[1]))
            cited = cited or tuple(turn.cited or ())
        elif content_stems(turn.content) and not carries_instruction(turn.content):
            # a turn that carries a role marker, a link or an instruction is no topic to search for
            return PreviousTurn(turn.content.strip(), cited)
    return None


def carried_topic(previous: PreviousTurn, question: str, memory: Memory) -> str:
    """What of the previous turn a follow-up carries (see the module docstring)."""
    title_of = memory.title_of
    before = memory.names(previous.question)
    if memory.names(question).titles:
        return before.rest
    # "the first one", "it": the programs the answer offered, not the guides or rating bodies it also cited
    documents = list(dict.fromkeys(previous.cited))
    documents = [d for d in documents if memory.is_program(d)] or documents
    ordinal = _ORDINAL.search(question)
    if ordinal and documents:
        k = _ORDINALS[ordinal.group(1).lower()]
        if -len(documents) <= k < len(documents) and (title := title_of(documents[k])):
            return title
    if before.titles:
        return "; ".join(dict.fromkeys(before.titles))
    if _POINTS_BACK.search(question) and documents and (title := title_of(documents[0])):
        return f"{previous.question} {title}"
    return previous.question


def with_conversation(question: str, conversation: Sequence[Message], memory: Memory | None = None) -> str:
    """The question joined to the topic the conversation is on."""
    memory = memory or Memory()
    previous = previous_turn(conversation, memory.lookup)
    if previous is None or previous.question == question.strip():
        return question.strip()
    topic = carried_topic(previous, question, memory)[-MAX_TOPIC_CHARS:]
    return f"{topic} {question.strip()}".strip()


def standalone_question(question: str, conversation: Sequence[Message] | None, memory: Memory | None = None) -> str:
    """The question to search: itself, or made standalone from the conversation."""
    if not conversation or not is_follow_up(question):
        return question.strip()
    return with_conversation(question, conversation, memory)
