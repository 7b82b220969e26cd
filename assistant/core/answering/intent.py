"""What a question asks for, and which sections of a document answer it.

"Does it work", "how do I set one up", "what does it cost", "was it tried in Canada", "for what
age", "X or Y", "what is X": each is answered by a different section of an evidence document
(Evidence, Implementation, Cost, Canadian context, For whom and where it works, What it is).
Rules over the question's words are enough here: the kinds are few and their wording is
stereotyped, and a wrong guess still cites the document asked about, from a nearby section.
"""

from __future__ import annotations

import re

from assistant.core.answers import Intent

# Top-level section headings (lower case) that answer each intent, best first.
INTENT_SECTIONS: dict[Intent, tuple[str, ...]] = {
    "effect": ("evidence", "summary", "for whom and where it works"),
    "compare": ("evidence", "summary"),
    "describe": ("what it is", "summary", "how it works"),
    "howto": ("implementation", "steps", "how it works", "what it means for a municipality"),
    "cost": ("cost",),
    "canada": ("canadian context",),
    "who": ("for whom and where it works",),
}
INTENT_LABELS: dict[Intent, str] = {
    "effect": "What the evidence shows",
    "compare": "Side by side",
    "describe": "What it is",
    "howto": "Setting it up",
    "cost": "Cost",
    "canada": "In Canada",
    "who": "Who it is for",
}

_COST = re.compile(
    r"\b(cost\w*|price\w*|pricey|budget\w*|afford\w*|expensive|cheap\w*|how much (?:money|does|do|would|will|is)|"
    r"per (?:child|participant|youth|family|student|person|head|site|camera|year)|return on investment|roi|"
    r"pay (?:for )?(?:it|itself)|pays for itself|savings?|save money|dollars?|funding (?:need|requir)\w*|"
    r"worth the money|bang for)\b|\$",
    re.I,
)
_PLACES = (
    r"canada|ontario|quebec|québec|british columbia|b\.?c\.?|alberta|saskatchewan|manitoba|nova scotia|"
    r"new brunswick|newfoundland|labrador|prince edward island|pei|yukon|nunavut|northwest territories|"
    r"toronto|montr[eé]al|vancouver|calgary|edmonton|ottawa|winnipeg|halifax|regina|saskatoon|prince albert|"
    r"a canadian (?:city|town|municipality|province|community)"
)
# Asking about Canadian context, not merely naming a Canadian agency ("our RCMP detachment", "Public Safety Canada").
_CANADIAN_BODIES = re.compile(
    r"\b(?:public safety|justice|statistics|health|crime prevention|parks) canada\b|"
    r"\bcanadian (?:municipal network\w*|centre|center|institute|association|police)\b",
    re.I,
)
_CANADA = re.compile(
    rf"\b(?:canad\w*|{_PLACES})\b|\bhere at home\b|\bin our country\b",
    re.I,
)
_HOWTO = re.compile(
    r"\b(how (?:do|would|could|can|should|to|does one) (?:i|we|you|a|our|one)?\s*(?:go about|set|start|run|"
    r"implement|launch|roll|get|bring|do|organi[sz]e|build|deliver|establish|introduce|begin|make|adopt|"
    r"put|stand|pilot|train|staff)\w*|set(?:ting)? (?:it |one |this |them )?up|implement\w*|roll(?:ing)? (?:it )?out|"
    r"steps?|step by step|get(?:ting)? started|what (?:does|would) it take|staff(?:ing)?|training|"
    r"who (?:delivers|runs|should run|needs to be involved)|partners? (?:do we need|needed)|in practice|"
    r"fidelity|requirements?|need to (?:run|start|deliver)|logistics|sign(?:ing)? up|join|apply|get trained|"
    r"how (?:do|does|would|can) (?:\w+ ){1,2}(?:get|sign|join|start|apply|deliver|run|train|set)\w*)\b",
    re.I,
)
_WHO = re.compile(
    r"\b(what ages?|which ages?|age (?:group|range)s?|how old|for whom|who is it for|who (?:is|are) (?:it|they) "
    r"(?:for|aimed)|who benefits|who does it (?:help|work for)|which (?:kids|children|youth|students|families|"
    r"groups|people|offenders|populations?|grades?)|what grades?|younger|older|teens? or|girls|boys|"
    r"suitable for|eligib\w*|target (?:group|population)|aimed at|works? (?:better )?for (?:girls|boys|"
    r"adults|kids|younger|older|teens|indigenous|first nations|violent|which|what|whom)|high[- ]risk or|"
    r"which \w+ (?:benefit\w*|show\w*|suit\w*|respond\w*)|what kinds? of \w+ (?:does|do|is|are)|suits?|"
    r"for which|who gets (?:referred|in)|elementary or|middle school only|high school only|only the)\b",
    re.I,
)
_COMPARE = re.compile(
    r"\b(vs\.?|versus|compared? (?:to|with)|comparison|which (?:is|one is|works) (?:better|best|more)|"
    r"better than|difference between|or should we|instead of)\b",
    re.I,
)
_DESCRIBE = re.compile(
    r"^\s*(?:so\s+|ok\s+|hi\s+)?(?:what(?:'s| is| are| was)(?: exactly)?|what exactly (?:is|are)|whats|explain|"
    r"describe|tell me (?:about|what)|"
    r"never heard of|heard (?:of|about)|what does \w+(?: \w+){0,4} (?:involve|mean|look like|do))\b|"
    r"\bwhat(?:'s| is)(?: it| that| this)? called\b|\bwhat (?:is|are) (?:it|they|that)\b|"
    r"\bhow does (?:it|that|this|the \w+) work\b",
    re.I,
)
_MECHANISM = re.compile(r"\bhow does (?:it|that|this|the \w+) work\b", re.I)
_EFFECT = re.compile(
    r"\b(work|works|worked|working|effective\w*|effect|effects|evidence|proven|success\w*|help|helps|"
    r"reduce\w*|prevent\w*|impact|results?|outcomes?|worth it|good idea|bad idea|should (?:we|i)|"
    r"recommend\w*|backfire\w*|harm\w*|any good|legit|does it do anything|studies|research)\b",
    re.I,
)


def classify(question: str, named: int = 0) -> Intent:
    """The intent of a question; `named` is how many documents it names (two or more invite a comparison)."""
    q = question.strip()
    if named >= 2 and (_COMPARE.search(q) or re.search(r"\b(or|and)\b", q, re.I)) and not _COST.search(q):
        return "compare"
    if _COST.search(q):
        return "cost"
    if _CANADA.search(_CANADIAN_BODIES.sub(" ", q)) and not _HOWTO.search(q):
        return "canada"
    if _HOWTO.search(q) and not _MECHANISM.search(q):
        return "howto"
    if _WHO.search(q):
        return "who"
    if _COMPARE.search(q) and named >= 1:
        return "compare"
    if _DESCRIBE.search(q) and not _EFFECT.search(_MECHANISM.sub(" ", q)):
        return "describe"
    return "effect"
