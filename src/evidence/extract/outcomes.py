"""Outcome instruments (canonical short names) and outcome domains.

One ``extract_all`` over the text with a single alternation finds every instrument mention; each
mention is then named with a when/then chain over the (short) matches, so the text is scanned once.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from .text import ascii_classes, cue_stages, masked

# (canonical name, pattern). Order matters only for naming a match (first pattern that matches it wins).
INSTRUMENTS: list[tuple[str, str]] = [
    ("VISA-P", r"visa-?p(?-u:\b)|victorian institute of sports? assessment(?:[\s-]+(?:questionnaire|scale))?(?:[\s,-]+patellar?(?: tendon| tendinopathy)?)?|(?-u:\b)visa(?-u:\b)"),
    ("VAS", r"(?-u:\b)vas(?-u:\b)|visual analog(?:ue)? (?:pain )?scale"),
    ("NPRS", r"(?-u:\b)nprs(?-u:\b)|(?-u:\b)nrs(?-u:\b)|(?-u:\b)nprs?-?\d*(?-u:\b)|numeric(?:al)? (?:pain )?(?:rating|rate|intensity rating) scale|numeric pain intensity rating|numeric(?:al)? rating scale"),
    ("WOMAC", r"(?-u:\b)womac(?-u:\b)|western ontario (?:and )?mcmaster"),
    ("KOOS", r"(?-u:\b)koos(?-u:\b)|knee injury and osteoarthritis outcome score"),
    ("KSS", r"(?-u:\b)kss(?-u:\b)|knee society (?:clinical rating )?score"),
    ("Lysholm", r"lysholm"),
    ("Kujala", r"kujala|(?-u:\b)akps(?-u:\b)|anterior knee pain scale"),
    ("Tegner", r"tegner"),
    ("IKDC", r"(?-u:\b)ikdc(?-u:\b)|international knee documentation committee"),
    ("LEFS", r"(?-u:\b)lefs(?-u:\b)|lower extremity functional scale"),
    ("TUG", r"(?-u:\b)tug(?-u:\b)|timed up[\s-]+(?:and|&)[\s-]+go"),
    ("6MWT", r"(?-u:\b)6mwt(?-u:\b)|(?-u:\b)6-?min(?:ute)?[\s-]+walk(?:ing)?(?:[\s-]+test)?|six[\s-]+minute[\s-]+walk"),
    ("SEBT", r"(?:modified )?star excursion balance(?: test)?|(?-u:\b)m?sebt(?-u:\b)"),
    ("Y-balance test", r"y[\s-]balance"),
    ("PPT", r"pressure[\s-]pain[\s-]thresholds?|(?-u:\b)ppts?(?-u:\b)|algometr"),
    ("CPM", r"conditioned pain modulation|(?-u:\b)cpm(?-u:\b)"),
    ("ROM", r"(?-u:\b)rom(?-u:\b)|range of (?:motion|movement)|goniomet|(?:knee|joint) mobility|flexion (?:range|angle)"),
    ("strength", r"(?:muscle|muscular|quadriceps|isometric|knee extensor|knee flexor|extensor and flexor muscle|grip|hip abductor) strength|dynamomet|manual muscle test|isometric (?:quadriceps )?torque|strength was|(?-u:\b)strength tests?(?-u:\b)"
                 # strength named as an outcome in a list ("pain, strength and range of motion were evaluated"),
                 # not "strength training" or "strength of evidence"
                 r"|(?-u:\b)strength(?:,|\s+(?:and|or|were)(?-u:\b)|\s*\)|\s*$)"),
    ("EMG", r"(?-u:\b)emg(?-u:\b)|electromyograph"),
    ("ultrasound", r"ultrasonograph|sonograph|ultrasound (?:imaging|examination|assessment|measurement)|musculoskeletal ultrasound|(?-u:\b)ultrasound was used|(?-u:\b)ultrasound (?:features|findings)|elastograph"),
    ("SF-36", r"(?-u:\b)sf-?36(?-u:\b)|short[\s-]form[\s-]*(?:health survey[\s-]*)?\(?36|short[\s-]form[\s-]36"),
    ("SF-12", r"(?-u:\b)sf-?12(?-u:\b)|short[\s-]form[\s-]*12"),
    ("EQ-5D", r"eq-?5d|euroqol"),
    ("TSK", r"(?-u:\b)tsk(?-u:\b)|tampa scale|scale (?:of|for) kinesiophobia"),
    ("PCS", r"(?-u:\b)pcs(?-u:\b)|pain catastrophi[sz]ing scale"),
    ("GROC", r"(?-u:\b)groc(?-u:\b)|global rating of change|global perceived effect"),
    ("PSFS", r"(?-u:\b)psfs(?-u:\b)|patient[\s-]specific functional scale"),
    ("ODI", r"(?-u:\b)odi(?-u:\b)|oswestry"),
    ("NDI", r"(?-u:\b)ndi(?-u:\b)|neck disability index"),
    ("Lequesne index", r"lequesne"),
    ("9-SCT", r"(?-u:\b)9-?sct(?-u:\b)|stair[\s-]climb(?:ing)? test"),
    ("30-second chair-stand test", r"30[\s-]*(?:second|s)[\s-]+chair[\s-]+stand"),
    ("step-down test", r"step[\s-]down test"),
    ("SLDS", r"single[\s-]leg decline squat"),
    ("MyotonPRO", r"myotonpro"),
    ("myotonometry", r"myotonometr"),
    ("medication_use", r"(?:stopped|taking|use of|intake of|consumption of|reduction in|reduced) (?:\w+\s+)?(?:medication|analgesics?|painkillers?|nsaids?)|(?:medication|analgesic|drug) (?:use|intake|consumption|usage)"),
    ("muscle thickness", r"muscle (?:percent )?thickness"),
]
_OTHER_INSTRUMENTS = {"GROC", "ultrasound", "EMG", "muscle thickness", "MyotonPRO", "myotonometry"}
_ALL = "(?i)(" + ascii_classes("|".join(f"(?:{p})" for _, p in INSTRUMENTS)) + ")"
# A named instrument's own abbreviation: "Single-Leg decline Squat test (SLDS)".
_ABBREV = r"(?:test|scale|index|questionnaire|score|inventory|battery)\s*\(([A-Z][A-Za-z0-9-]{1,9})\)"

# domain -> pattern over the (lower case) text of outcome-bearing sentences
DOMAINS: list[tuple[str, str]] = [
    ("pain", r"(?-u:\b)pain (?:intensity|subscales?|scores?|levels?|severity|perception|reduction|relief|rating|at rest|during)|(?-u:\b)(?:reduc|decreas|reliev|alleviat|improv)\w*\s+(?:\w+\s+){0,3}pain(?-u:\b)|(?:on|in) pain(?-u:\b)|(?-u:\b)pain(?:,| and| or)|(?-u:\b)pain\)|(?-u:\b)vas(?-u:\b)|(?-u:\b)nprs(?-u:\b)|visual analog|numeric\w* (?:pain )?rating|(?-u:\b)pain(?-u:\b)[^.]{0,40}(?:measured|assessed|evaluated|recorded)|(?-u:\b)pain(?-u:\b)\s*$"),
    ("function", r"function|disabilit|(?-u:\b)womac(?-u:\b)|(?-u:\b)koos(?-u:\b)|(?-u:\b)lefs(?-u:\b)|kujala|lysholm|(?-u:\b)ikdc(?-u:\b)|(?-u:\b)kss(?-u:\b)|knee society|visa-?p|victorian|(?-u:\b)tug(?-u:\b)|timed up|(?-u:\b)6mwt(?-u:\b)|minute walk|(?-u:\b)odi(?-u:\b)|oswestry|(?-u:\b)psfs(?-u:\b)|lequesne|chair[\s-]stand|stair|(?-u:\b)mobility(?-u:\b)|activity limitation|functional"),
    ("stiffness", r"stiffness"),
    ("strength", r"(?-u:\b)strength(?-u:\b)|dynamomet|manual muscle test|(?-u:\b)torque(?-u:\b)|muscle performance"),
    ("range_of_motion", r"range of (?:motion|movement)|(?-u:\b)rom(?-u:\b)|goniomet|flexibility|(?:knee|joint) mobility|knee flexion|flexion rom|extension rom"),
    ("pressure_pain_threshold", r"pressure[\s-]pain[\s-]threshold|(?-u:\b)ppts?(?-u:\b)|algometr|mechanical (?:sensitivity|stimulation)|pressure sensitivity"),
    ("psychological", r"kinesiophobia|catastrophi|anxiety|depress|fear[\s-]avoidance|(?-u:\b)tsk(?-u:\b)|self-efficacy|psycholog"),
    ("quality_of_life", r"quality of life|(?-u:\b)sf-?36(?-u:\b)|(?-u:\b)sf-?12(?-u:\b)|short[\s-]form|eq-?5d|(?-u:\b)qol(?-u:\b)"),
    ("medication_use", r"(?:stopped|taking|use of|intake of|consumption of) (?:\w+\s+)?(?:medication|analgesics?)|(?:medication|analgesic) (?:use|intake|consumption)"),
    ("adverse_events", r"adverse|side[\s-]effects?|complication|(?-u:\b)safety(?-u:\b)|(?-u:\b)safe(?-u:\b)|(?-u:\b)harms?(?-u:\b)"),
    ("gait", r"(?-u:\b)gait(?-u:\b)|walking speed|step length|cadence"),
    ("other", r"(?-u:\b)groc(?-u:\b)|global rating|overall status|perceived (?:improvement|change)|muscle (?:percent )?thickness|muscle activation|excitability|motor evoked|motor threshold|(?:band|tendon) length|length of the|structural|ultrasonograph|sonograph|(?-u:\b)emg(?-u:\b)|electromyograph|satisfaction|(?-u:\b)musculoskeletal ultrasound|ultrasound was used|compliance|stretch tolerance|myoton"),
]
# the domains named in a twentieth of the sentences or more (see ``text.cue_stages``)
_COMMON_DOMAINS = ("pain", "function", "range_of_motion", "other", "pressure_pain_threshold")
# every match of the pain domain holds one of these; it may start with "on" or "in", which a scan
# for its first letters would find everywhere
_PAIN_WORDS = "pain|vas|nprs|visual analog|numeric"
_PURPOSE = r"aim|objective|purpose|to (?:compare|evaluate|investigate|determine|assess|examine|analy[sz]e)|outcome"


# one pattern with a named group per instrument: a match is named by the first group that takes it
# whole, in a single regex pass (a chain of 40 patterns compiled on every call was the slow part)
_NAMED = ascii_classes("^(?:" + "|".join(f"(?<i{k}>{pat})" for k, (_, pat) in enumerate(INSTRUMENTS)) + ")$")


def _name(match: pl.Expr) -> pl.Expr:
    """The canonical name of an instrument mention (any case), null when it is none of ``INSTRUMENTS``."""
    g = match.str.to_lowercase().str.extract_groups(_NAMED)
    return pl.coalesce([pl.when(g.struct.field(f"i{k}").is_not_null()).then(pl.lit(name))
                        for k, (name, _) in enumerate(INSTRUMENTS)])


@cache
def _named() -> pl.Expr:
    """The name of a mention ``m``: an abbreviation ("\x1f" + abbreviation) keeps its spelling unless
    it is a known one (NRS -> NPRS, AKPS -> Kujala). Built once: it holds a when/then per instrument."""
    m = pl.col("m")
    bare_m = m.str.strip_chars_start("\x1f")  # the mention itself when it has no "\x1f"
    return pl.coalesce(_name(bare_m), pl.when(m.str.starts_with("\x1f")).then(bare_m))


def instruments(per_record: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: its instrument mentions (``_o_found``, in text order) named, each name once.

    One row per mention, named in a single column (a ``list.eval`` runs per record, which is slow).
    """
    m = pl.col("m")
    # an abbreviation of a named test ("\x1f" + abbreviation) keeps its own spelling unless it is a
    # known one; the named tests are rewritten per record, not per sentence (most sentences name none)
    abbrev = (pl.col("_o_found_abbr").fill_null([]).list.join("\x1e")
              .str.replace_all(r"[^\x1e]*\(([^)]+)\)", "\x1f${1}").str.split("\x1e"))
    found = pl.concat_list(pl.col("_o_found").fill_null([]), abbrev).alias("m")
    mentions = per_record.select("_r", found).explode("m").filter(m.is_not_null() & (m != ""))
    # most mentions are a few strings ("VAS", "WOMAC" ...): each distinct one is named once
    names = mentions.select(m.unique()).with_columns(_name=_named())
    return (mentions.join(names, on="m", how="left", maintain_order="left").select("_r", m=pl.col("_name"))
            .filter(m.is_not_null())
            .group_by("_r").agg(m.unique(maintain_order=True).alias("_instruments")))


_GUIDED = ascii_classes(r"(?i)ultrasound[\s-]*guided|ultra-?sound[\s-]guidance|therapeutic ultrasound|(?-u:\b)US-guided")
_IMPLIED: list[tuple[str, list[str]]] = [
    ("other", sorted(_OTHER_INSTRUMENTS)), ("pain", ["VAS", "NPRS"]), ("pressure_pain_threshold", ["PPT"]),
    ("range_of_motion", ["ROM"]), ("strength", ["strength"]), ("quality_of_life", ["SF-36", "SF-12", "EQ-5D"]),
    ("psychological", ["TSK", "PCS"]), ("medication_use", ["medication_use"]),
    ("function", ["WOMAC", "KOOS", "KSS", "Lysholm", "Kujala", "VISA-P", "Tegner", "IKDC", "LEFS", "TUG", "6MWT",
                  "ODI", "NDI", "PSFS", "Lequesne index"]),
]


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: the instruments (canonical names) and outcome domains it names."""
    # A background sentence describes the disease, not what was measured; in an unlabelled abstract
    # the first sentence usually is background unless it states the aim.
    # (the usable sentences and their text are columns of their own: each is read several times, and
    # polars computes an expression that holds a when/then once per use)
    background = (pl.col("kind") == "background") | (pl.col("_first") & (pl.col("label") == ""))
    usable = {"_o_u": ~background | masked(background, pl.col("l")).str.contains(_PURPOSE)}
    text = {"_o_lu": masked(pl.col("_o_u"), pl.col("l")),
            "_o_s": pl.when(pl.col("_o_u") & pl.col("s").str.contains("(", literal=True)).then(pl.col("s"))}
    # Ultrasound guiding a needle is no outcome measure; neither is "therapeutic ultrasound". The
    # replacement runs only on the few sentences that name either (the others are null, then l).
    lu = pl.col("_o_lu")
    guided = masked(lu.str.contains("guid|therapeutic ultra"), lu).str.replace_all(_GUIDED, "")
    first = {"_o_l": pl.coalesce(guided, lu)}
    hit, flags = cue_stages("_o_l", dict(DOMAINS), "_od_", common=_COMMON_DOMAINS, gates={"pain": _PAIN_WORDS})
    # named tests with their abbreviation: mentions are named per record (``instruments``)
    return [usable, text, first, hit | {"_o_all": pl.col("_o_l").str.extract_all(_ALL[4:]),
                                        "_o_abx": pl.col("_o_s").str.extract_all(_ABBREV)}, flags]


def aggregations() -> list[pl.Expr]:
    # lists are built per record, not per sentence: most sentences name nothing
    has_n = (pl.col("_o_all").list.len() > 0) | (pl.col("_o_abx").list.len() > 0)
    has_d = pl.any_horizontal([pl.col(f"_od_{name}") for name, _ in DOMAINS])
    every = dict(keep_nulls=False, empty_as_null=False)
    return [
        pl.col("_o_all").list.explode(**every).drop_nulls().alias("_o_found"),
        pl.col("_o_abx").list.explode(**every).drop_nulls().alias("_o_found_abbr"),
        *[pl.col(f"_od_{name}").any().alias(f"_od_{name}") for name, _ in DOMAINS],
        pl.col("s").filter(has_n).first().alias("_inst_span"),
        pl.col("s").filter(has_d).first().alias("_dom_span"),
    ]


def domain_stages() -> list[dict[str, pl.Expr]]:
    """``_domains``: the domains named (in ``DOMAINS`` order), then those the instruments imply
    ("WOMAC" -> function) and the text does not name, in two stages.

    The names are joined into one string and split into the list: ``concat_list`` over some twenty
    columns costs more than the rest of the per-record rules together.
    """
    inst = pl.col("_instruments").fill_null([])
    named = [pl.when(pl.col(f"_od_{name}")).then(pl.lit(name)) for name, _ in DOMAINS]
    implied = [pl.when(pl.any_horizontal([inst.list.contains(n) for n in names]) & ~pl.col(f"_od_{domain}").fill_null(False))
               .then(pl.lit(domain)) for domain, names in _IMPLIED]
    joined = pl.col("_domains")
    return [{"_domains": pl.concat_str(named + implied, separator=",", ignore_nulls=True)},
            {"_domains": pl.when(joined == "").then(pl.lit([], pl.List(pl.String))).otherwise(joined.str.split(","))}]
