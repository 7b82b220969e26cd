"""The words the verifier reads meaning from: directions of effect, negation, hedges, people and places.

Everything here is data. Each table is keyed by Snowball English stems (the stemmer the rest
of the project uses), so "reduced", "reduces" and "reducing" are one entry. The tables are
deliberately about this domain: crime prevention findings are nearly always "X reduced,
increased or did not change an outcome, for some people, in some places, by some amount,
according to some study".
"""

from __future__ import annotations

# -- direction of an effect ------------------------------------------------------------
# A verb or comparative that moves an outcome down or up.
DOWN = frozenset(
    """reduc reduct decreas lower cut fewer less drop fell fall declin lessen curb shrink shrank diminish halv
    prevent deter avert lowest smaller minim eas plummet plung slash dip tumbl""".split()
)
UP = frozenset(
    """increas rais rise rose risen grew grow higher more boost doubl tripl escal greater spike
    amplifi larger highest climb jump soar surg swell""".split()
)
# Valence words that carry their own sign: "improved" is good whatever it improved.
BETTER = frozenset("""improv better strengthen enhanc benefit gain""".split())
WORSE = frozenset("""wors harm harmfulli damag backfir hurt undermin counterproduct weaken erod""".split())
# "drove up", "went down": a verb of motion and its particle move an outcome as one word would.
MOTION_VERBS = frozenset(
    """drove drive driven push went go goe gone shot move tick crept creep edg pull brought
bring held hold kept keep""".split()
)

# Outcomes: what moving down is good for (bad things) and what moving up is good for.
BAD_OUTCOMES = frozenset(
    """crime crimin offend offens reoffend delinqu violenc violent arrest burglari burglar theft steal stolen
    aggress aggressive shoot shot homicid murder victimis victimiz recidiv convict drug alcohol substanc disord
    disrupt bulli antisoci fear risk incarcer injuri complaint forc gang weapon gun fight robberi vandal graffiti
    assault dropout incid problem misconduct suspens expuls detent prison jail custodi reconvict victim suicid
    rearrest re-arrest abus neglect drink smoke cannabi marijuana opioid overdos death kill""".split()
)
GOOD_OUTCOMES = frozenset(
    """skill empathi graduat employ legitimaci trust satisfact confid wellb well-b protect
    complet earn incom self-control cooper prosoci engag safeti helpf caring complianc satisfi""".split()
)

# Words that are outcomes although their stems are common verbs ("helpful" stems to "help").
OUTCOME_WORDS: dict[str, str] = {
    "helpful": "helpful",
    "caring": "caring",
    "hit": "hit",
    "hitting": "hit",
    "attendance": "attend",
    "achievement": "achiev",
    "grades": "achiev",
    "dropout": "dropout",
}

# Negators, and phrases that say "no effect" outright.
NEGATORS = frozenset(
    """not no never without neither nor none n't cannot fail failed fails lack lacks lacked lacking""".split()
)
NULL_PHRASES = (
    "no effect",
    "no significant",
    "no measurable",
    "no clear",
    "no consistent",
    "no lasting",
    "no overall",
    "no real",
    "no detectable",
    "no reliable",
    "no discernible",
    "no difference",
    "not statistically significant",
    "not significant",
    "non-significant",
    "nonsignificant",
    "no impact",
    "no change",
    "no better",
    "no more effective",
    "no less",
    "made no difference",
    "did not change",
    "did not make",
    "no evidence",
    "not effective",
    "ineffective",
    "null",
    "unchanged",
    "did nothing",
    "does nothing",
    "had no",
    "has no",
    "have no",
    "showed no",
    "found no",
    "no benefit",
    "no reduction",
    "no increase",
    "not work",
    "n't work",
    "no effects",
)

# -- verdicts ----------------------------------------------------------------------------
# A sentence that says a program works; another that says it does not.
WORKS_PATTERNS = (
    r"\b(?:is|are|was|were|be|been|being|proved|proven|prove|shown to be|appears? to be|seems? to be)\s+"
    r"(?:an?\s+|the\s+)?(?:very\s+|highly\s+|clearly\s+|genuinely\s+|really\s+|quite\s+)?"
    r"(?:effective|successful|worthwhile|beneficial|evidence-based|recommended|a success|a good|a sound|"
    r"a smart|a wise|a proven|a reliable|an effective|the answer|worth)\b",
    r"\b(?:it|they|this|that|program|programs|programme|programmes|practice|approach|model|intervention|"
    r"initiative|[A-Z][\w.&-]*)\s+(?:really\s+|clearly\s+|actually\s+|generally\s+|still\s+)?(?:works|worked)\b"
    # "projects worked with young people": worked alongside someone, not worked as a program
    # "the system works by locating sounds": how it operates, not that it succeeds
    r"(?!\s+(?:mostly\s+|mainly\s+|directly\s+|closely\s+)?(?:with|on|at|as|alongside|through|together|under|by))",
    r"\b(?:does|do|did)\s+(?:really\s+|actually\s+)?work\b",
    r"\bworks?\s+(?:well|for|to|in|against)\b",
    r"\b(?:good|sound|smart|wise|safe|solid|proven|strong|reliable|worthwhile|effective|excellent|great|promising)\s+"
    r"(?:investment|choice|bet|option|way|approach|strategy|program|programme|practice|tool|model|fit|purchase|buy)\b",
    r"\b(?:should|would do well to|are encouraged to|is wise to|can safely|can confidently)\s+"
    r"(?:fund|adopt|invest in|implement|expand|support|use|back|roll out|bring in|choose|rely on)\b",
    r"\bworth\s+(?:funding|it|investing|adopting|supporting|trying|the)\b",
    r"\b(?:recommend|recommends|recommended|endorse|endorsed|endorses)\b",
    r"\b(?:effective|successful|proven)\s+(?:at|in|for)\b",
    r"\bhelps?\s+(?:to\s+)?(?:reduce|prevent|cut|lower|keep)\b",
    r"\b(?:shown|proven|proved|found|known)\s+to\s+(?:reduce|prevent|cut|lower|keep|stop|improve|deter|protect)\b",
    r"\bharmless\b",
    r"\bsafe\s+(?:option|choice|bet|to fund|to use)\b",
    r"\b(?:is|are)\s+(?:one of\s+)?(?:the\s+|a\s+|an\s+)?(?:better|well|best|strongly)[- ]supported\b",
    # "good value for money", "treat the programs as effective"
    r"\b(?:good|great|excellent|real|strong|sound)\s+value\b",
    r"\btreat\w*\s+(?:[\w.'-]+\s+){0,6}as\s+(?:effective|proven|successful|working|a success)\b",
    # how an assistant commends a program in other words
    r"\b(?:pays? off|paid off|delivers? (?:real |strong |clear |measurable )?results|gets? results|"
    r"(?:makes|made) a (?:real |clear |big |measurable )?difference|has a (?:strong |proven |good )?track record|"
    r"deserves? (?:funding|support|investment)|worth a try|a (?:safe|good|sound|smart) (?:pick|bet|buy)|"
    r"(?:backed|supported) by (?:strong|solid|good|robust|clear) evidence|a (?:proven|reliable) (?:way|tool|option))\b",
)
FAILS_PATTERNS = (
    r"\b(?:does|do|did|has|have)\s*(?:not|n't)\s+(?:really\s+)?(?:work|succeed|help|pay)\b",
    r"\bineffective\b",
    r"\bharmful\b",
    r"\bbackfir\w*",
    r"\bcounterproductive\b",
    # "councils should avoid it"; not "helps youth avoid offending", which is a benefit
    r"\b(?:avoid|avoided)\b(?!\s+(?:a\s+life\s+of\s+|further\s+|future\s+|new\s+)?(?:re-?offending|offending|"
    r"crimes?|violence|gangs?|drugs?|arrests?|delinquency|trouble|victimi\w+|exploitation|involvement|prison|jail|"
    r"custody|harm)(?![\w-]))",
    r"\bshould\s*(?:not|n't)\s+(?:be\s+)?(?:fund|funded|adopt|adopted|use|used|implement|implemented|support|"
    r"supported|refer|expand|invest)\w*",
    r"\bnot\s+(?:be\s+)?recommended\b",
    r"\bwaste\b",
    r"\b(?:no|not an?)\s+(?:effective|good|sound|proven)\b",
    r"\bdo\s*(?:not|n't)\s+(?:fund|use|adopt|refer)\b",
    r"\bmakes? (?:things|it|matters|offending|crime|delinquency) worse\b",
    r"\bdoes\s*(?:not|n't)\s+reduce\b",
    r"\bnot worth\b",
    r"\b(?:no|little)\s+(?:real\s+|crime[- ]prevention\s+|lasting\s+|meaningful\s+|measurable\s+|clear\s+)?"
    r"(?:value|benefit|protection|point)\b",
    r"\bof no (?:value|use|benefit)\b",
    r"\bpoor (?:use|investment|value|bet|choice)\b",
    r"\b(?:should|could|can) be (?:dropped|abandoned|scrapped|stopped|discontinued)\b",
    r"\bshown not to work\b",
    # how an assistant warns off a program in other words
    r"\b(?:falls? short|fell short|does nothing|did nothing|a dead end|(?:has|have) not delivered|"
    r"did not deliver|does not deliver|no good evidence|"
    r"not (?:a )?(?:good|wise|sound) (?:use|choice|bet|investment))\b",
    # "the evidence does not support a positive effect of mentoring": a denial that it works, said of the evidence
    r"\b(?:does|do|did)\s*(?:not|n't)\s+support\s+(?:an?\s+|any\s+)?(?:positive\s+|beneficial\s+|real\s+)?"
    r"(?:effect|benefit|impact)",
    r"\bno\s+(?:positive|beneficial)\s+(?:effects?|impacts?|results?|outcomes?)\b",
    r"\bnot a (?:good|wise|sound) idea\b",
)
# What a passage says when the evidence cannot tell.
CANNOT_TELL_PATTERNS = (
    r"\btoo (?:little|few|weak)\b",
    r"\b(?:not|no|in)sufficient evidence\b",
    r"\binsufficient\b",
    r"\bnot enough (?:evidence|studies|research)\b",
    r"\bcannot (?:tell|say|conclude|be sure|show|know)\b",
    r"\b(?:not|never) (?:yet )?(?:been )?(?:known|shown|demonstrated)\b",
    r"\bunclear\b",
    r"\binconclusive\b",
    r"\bnot (?:yet )?(?:been )?(?:evaluated|rated|tested|established|proven|shown)\b",
    r"\bno (?:rigorous|good|strong|controlled|canadian) (?:evaluation|evidence|study|studies|trial)\b",
    r"\bmixed\b",
    r"\bnot (?:been )?confirmed\b",
)

# -- strength of a finding -----------------------------------------------------------------
# Words that state a finding as certain, large or universal.
STRONG = frozenset(
    """prove proven conclus definit always everywher guarante larg substanti dramat huge massiv major strong
    strongest robust consist clear clearli decis certain certainli universal univers sharp sharpli great greatli
    overwhelm decisive vast well-establish firm firmli reliabl undeni unquestion indisput eliminat wipe
    transform remark signific forev perman complet entir total""".split()
)
# Phrases that universalise ("in every city", "all young people").
STRONG_PHRASES = (
    r"\b(?:all|every|each)\s+(?:of\s+the\s+)?(?:\w+\s+)?(?:studies|study|trials|trial|sites|site|cities|city|"
    r"communities|community|groups|group|settings|setting|ages|participants|youth|children|schools|programs|"
    r"evaluations|places|types|offenders|countries|contexts|kinds)\b",
    r"\bin (?:all|every|any) (?:setting|context|community|city|country|place)s?\b",
    r"\bacross the board\b",
    r"\b(?:many|numerous|dozens of|a large number of|multiple|several|countless|a wealth of)\s+"
    r"(?:\w+\s+)?(?:studies|trials|evaluations|sites|cities|reviews|experiments)\b",
    r"\bwill\s+(?:reduce|cut|prevent|lower|work|stop|end|make|improve|increase|keep)\b",
    r"\bwherever\b",
    r"\bany (?:community|city|setting|municipality|place)\b",
    r"\b(?:gold[- ]standard|best[- ]in[- ]class|silver bullet)\b",
)
# Words that hedge: a passage with these does not support a strong claim.
HEDGES = frozenset(
    """modest modestli small slight slightli promis some may might could limit weak preliminari tentat few
    earli suggest possibl perhap partial partli mix uncertain unclear singl moder somewhat uneven vari""".split()
)

# -- who and where ------------------------------------------------------------------------
# Each class is a group of words for one kind of person or place. A claim that names a
# class must cite a passage that names the same class (any word of it).
POPULATION_CLASSES: dict[str, tuple[str, ...]] = {
    "youth": (
        "youth",
        "youths",
        "young people",
        "young person",
        "juvenile",
        "juveniles",
        "youngster",
        "youngsters",
        "young offenders",
        "minors",
        "young",
    ),
    # narrower than youth: a finding about children is not one about teenagers
    "teens": (
        "adolescent",
        "adolescents",
        "teen",
        "teens",
        "teenager",
        "teenagers",
        "high school",
        "high-school",
        "secondary school",
        "teenage",
    ),
    "children": (
        "child",
        "children",
        "kid",
        "kids",
        "preschool",
        "preschooler",
        "preschoolers",
        "toddler",
        "toddlers",
        "infant",
        "infants",
        "baby",
        "babies",
        "elementary",
        "primary school",
        "childhood",
        "boys and girls",
    ),
    "adults": ("adult", "adults", "grown-up", "grown-ups"),
    "boys": ("boy", "boys", "sons"),
    "girls": ("girl", "girls", "daughters", "young women"),
    "men": ("men", "man", "male", "males", "fathers", "father"),
    "women": ("women", "woman", "female", "females", "mothers", "mother", "moms", "mom", "mums"),
    "parents": (
        "parent",
        "parents",
        "parenting",
        "caregiver",
        "caregivers",
        "mothers",
        "fathers",
        "families",
        "family",
    ),
    "pupils": ("pupil", "pupils", "student", "students", "schoolchildren", "classmates"),
    "teachers": ("teacher", "teachers", "educators", "school staff"),
    "victims": ("victim", "victims", "victimised", "victimized", "survivors"),
    "offenders": (
        "offender",
        "offenders",
        "inmate",
        "inmates",
        "prisoner",
        "prisoners",
        "people who offend",
        "perpetrators",
        "convicted",
        "probationers",
        "parolees",
        "who have offended",
        "already offended",
        "ex-offenders",
    ),
    "police officers": ("officer", "officers", "police officers", "constables"),
    "seniors": ("senior", "seniors", "older adults", "elderly"),
    "indigenous": ("indigenous", "first nations", "first nation", "aboriginal", "métis", "inuit"),
}
PLACE_CLASSES: dict[str, tuple[str, ...]] = {
    "schools": ("school", "schools", "classroom", "classrooms", "grade"),
    "homes": (
        "home",
        "homes",
        "household",
        "households",
        "house",
        "houses",
        "residential",
        "dwelling",
        "dwellings",
        "residences",
    ),
    "car parks": ("car park", "car parks", "parking", "parkade", "parkades", "garage", "garages"),
    "city centres": ("city centre", "city centres", "city center", "downtown", "town centre", "town centres"),
    "public housing": ("public housing", "social housing", "housing estate", "housing estates", "housing project"),
    # not "train(s)": in this field it is mostly the verb ("Safer Bars trains bar staff")
    "transit": ("transit", "subway", "bus", "buses", "railway", "station", "stations"),
    "prisons": ("prison", "prisons", "jail", "jails", "custody", "correctional facility", "penitentiary"),
    "rural": ("rural", "countryside", "small town", "small towns"),
    "bars": ("pub", "pubs", "nightclub", "nightclubs", "licensed premises", "taverns"),
    "streets": ("street", "streets", "road", "roads", "sidewalk", "sidewalks"),
    "businesses": (
        "business",
        "businesses",
        "shop",
        "shops",
        "store",
        "stores",
        "retailer",
        "retailers",
        "merchant",
        "merchants",
        "shopkeepers",
        "commercial premises",
    ),
    "canada": (
        "canada",
        "canadian",
        "canadians",
        "ontario",
        "quebec",
        "québec",
        "british columbia",
        "alberta",
        "manitoba",
        "saskatchewan",
        "nova scotia",
        "new brunswick",
        "newfoundland",
    ),
    "united states": ("united states", "u.s.", "usa", "american", "america", "americans"),
    "united kingdom": ("united kingdom", "uk", "u.k.", "britain", "british", "england", "english", "wales", "scotland"),
}

COUNTRY_CLASSES = ("canada", "united states", "united kingdom")
REGION_NAMES = frozenset(
    """ontario quebec québec alberta manitoba saskatchewan newfoundland england wales scotland""".split()
    + ["british columbia", "nova scotia", "new brunswick"]
)
COUNTRY_OF: dict[str, str] = {
    w.replace(".", ""): c for c in COUNTRY_CLASSES for w in PLACE_CLASSES[c] if w not in REGION_NAMES
}

# -- numbers ---------------------------------------------------------------------------------
NUMBER_WORDS: dict[str, str] = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "dozen": "12",
    "half": "50%",
    "quarter": "25%",
    "third": "33%",
    "twice": "2",
    "double": "2",
    "triple": "3",
    "single": "1",
    "once": "1",
    "both": "2",
    "first": "1st",
    "second": "2nd",
    "pair": "2",
    "couple": "2",
}
# Number words that are usually not a count in prose ("one of the", "the first to").
SOFT_NUMBER_WORDS = frozenset(
    {"one", "once", "single", "first", "second", "both", "half", "couple", "pair", "double", "third", "quarter"}
)

# -- specifics a sentence may add -------------------------------------------------------------
# Stems of words that introduce a concrete detail, by kind: a passage that speaks of money at
# all may be paraphrased with any money word ("spent" as "cost"), but a sentence that adds a
# cost to a passage without one adds a detail.
DETAIL_KINDS: dict[str, str] = {
    **{s: "money" for s in "cost dollar budget price spend spent expens cheap inexpens afford fee salari".split()},
    **{s: "years" for s in "year month decad annual birthday".split()},
    **{s: "weeks" for s in "week weekli".split()},
    **{s: "days" for s in "day daili hour nightli".split()},
    **{s: "scale" for s in "sampl enrol percent cent".split()},
    **{s: "funder" for s in "funder grant sponsor sponsorship".split()},
    **{s: "government" for s in "govern ministri depart feder provinci foundat univers".split()},
    # a study design or a time of day the passage never gives ("mostly randomised", "on weekend nights")
    **{s: "design" for s in "random randomis randomiz".split()},
    **{s: "time of day" for s in "weekend night evening overnight".split()},
}
# Outcomes that are one thing in other words; anything else is its own outcome.
OUTCOME_SYNONYMS: dict[str, str] = {
    **{s: "offending" for s in "crime crimin offend offens delinqu antisoci misconduct".split()},
    **{s: "reoffending" for s in "reoffend recidiv reconvict rearrest re-arrest".split()},
    **{s: "violence" for s in "violenc violent assault fight aggress hit".split()},
    **{s: "shooting" for s in "shoot shot gun".split()},
    **{s: "homicide" for s in "homicid murder kill".split()},
    **{s: "burglary" for s in "burglari burglar".split()},
    **{s: "theft" for s in "theft steal stolen".split()},
    **{s: "drugs" for s in "drug substanc cannabi marijuana opioid".split()},
    **{s: "alcohol" for s in "alcohol drink".split()},
    **{s: "prison" for s in "prison jail custodi incarcer".split()},
}
