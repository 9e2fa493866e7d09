"""Outcome instruments (canonical short names) and outcome domains.

One ``extract_all`` over the text with a single alternation finds every instrument mention; each
mention is then named with a when/then chain over the (short) matches, so the text is scanned once.
"""

from __future__ import annotations

import polars as pl

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
    ("modified star excursion balance test", r"modified star excursion balance test|(?-u:\b)msebt(?-u:\b)"),
    ("SEBT", r"star excursion balance test|(?-u:\b)sebt(?-u:\b)"),
    ("Y-balance test", r"y[\s-]balance"),
    ("PPT", r"pressure[\s-]pain[\s-]thresholds?|(?-u:\b)ppts?(?-u:\b)|algometr"),
    ("CPM", r"conditioned pain modulation|(?-u:\b)cpm(?-u:\b)"),
    ("ROM", r"(?-u:\b)rom(?-u:\b)|range of (?:motion|movement)|goniomet|(?:knee|joint) mobility|flexion (?:range|angle)"),
    ("strength", r"(?:muscle|muscular|quadriceps|isometric|knee extensor|knee flexor|extensor and flexor muscle|grip|hip abductor) strength|dynamomet|manual muscle test|isometric (?:quadriceps )?torque|strength was|(?-u:\b)strength tests?(?-u:\b)"),
    ("EMG", r"(?-u:\b)emg(?-u:\b)|electromyograph"),
    ("ultrasound", r"ultrasonograph|sonograph|ultrasound (?:imaging|examination|assessment|measurement)|musculoskeletal ultrasound|(?-u:\b)ultrasound was used|(?-u:\b)ultrasound (?:features|findings)|elastograph"),
    ("SF-36", r"(?-u:\b)sf-?36(?-u:\b)|short[\s-]form[\s-]*(?:health survey[\s-]*)?\(?36|short[\s-]form[\s-]36"),
    ("SF-12", r"(?-u:\b)sf-?12(?-u:\b)|short[\s-]form[\s-]*12"),
    ("EQ-5D", r"eq-?5d|euroqol"),
    ("TSK", r"(?-u:\b)tsk(?-u:\b)|tampa scale"),
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
_ALL = "(?i)(" + "|".join(f"(?:{p})" for _, p in INSTRUMENTS) + ")"
# A named instrument's own abbreviation: "Single-Leg decline Squat test (SLDS)".
_ABBREV = r"(?:test|scale|index|questionnaire|score|inventory|battery)\s*\(([A-Z][A-Za-z0-9-]{1,9})\)"

# domain -> pattern over the (lower case) text of outcome-bearing sentences
DOMAINS: list[tuple[str, str]] = [
    ("pain", r"(?-u:\b)pain (?:intensity|scores?|levels?|severity|perception|reduction|relief|rating|at rest|during)|(?-u:\b)(?:reduc|decreas|reliev|alleviat|improv)\w*\s+(?:\w+\s+){0,3}pain(?-u:\b)|(?:on|in) pain(?-u:\b)|(?-u:\b)pain(?:,| and| or)|(?-u:\b)pain\)|(?-u:\b)vas(?-u:\b)|(?-u:\b)nprs(?-u:\b)|visual analog|numeric\w* (?:pain )?rating|(?-u:\b)pain(?-u:\b)[^.]{0,40}(?:measured|assessed|evaluated|recorded)|(?-u:\b)pain(?-u:\b)\s*$"),
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
_PURPOSE = r"aim|objective|purpose|to (?:compare|evaluate|investigate|determine|assess|examine|analy[sz]e)|outcome"


def _name(match: pl.Expr) -> pl.Expr:
    out = pl.lit(None, pl.String)
    for name, pat in reversed(INSTRUMENTS):
        out = pl.when(match.str.contains(f"(?i)^(?:{pat})$")).then(pl.lit(name)).otherwise(out)
    return out


def _canon(abbrev: pl.Expr) -> pl.Expr:
    """Known abbreviations to their canonical name (NRS -> NPRS, AKPS -> Kujala); others as written."""
    named = _name(abbrev)
    return pl.coalesce(named, abbrev)


def outcome_features(sents: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: instruments (list), domains (list) and the first sentence naming an instrument."""
    # Ultrasound guiding a needle is no outcome measure; neither is "therapeutic ultrasound".
    text = pl.col("s").str.replace_all(r"(?i)ultrasound[\s-]*guided|ultra-?sound[\s-]guidance|therapeutic ultrasound|(?-u:\b)US-guided", "")
    # A background sentence describes the disease, not what was measured; in an unlabelled abstract
    # the first sentence usually is background unless it states the aim.
    background = (pl.col("kind") == "background") | (
        (pl.col("_i") == pl.col("_i").filter(pl.col("src") == "abstract").min().over("_r"))
        & (pl.col("label") == "") & (pl.col("src") == "abstract"))
    usable = ~background | pl.col("l").str.contains(_PURPOSE)
    s = sents.with_columns(_t=text, _use=usable)
    s = s.filter(pl.col("_use")).with_columns(
        _d=pl.concat_list([pl.when(pl.col("l").str.contains(pat)).then(pl.lit(name)) for name, pat in DOMAINS]).list.drop_nulls(),
        _m=pl.concat_list(pl.col("_t").str.to_lowercase().str.extract_all(_ALL[4:]),
                          pl.col("_t").str.extract_all(_ABBREV).list.join("\x1f").str.extract_all(r"\(([^)]+)\)").list.eval(
                              pl.element().str.replace(r"^\((.*)\)$", "\x1f$1"))))
    # name each match: one row per mention, so every pattern runs once over a column
    names = (s.select("_r", "_i", "_m").explode("_m").filter(pl.col("_m").is_not_null())
             .with_columns(_n=pl.when(pl.col("_m").str.starts_with("\x1f"))
                           .then(_canon(pl.col("_m").str.strip_chars_start("\x1f"))).otherwise(_name(pl.col("_m"))))
             .group_by("_r", "_i").agg(pl.col("_n")))
    s = s.join(names, on=["_r", "_i"], how="left")
    return s.sort("_r", "_i").group_by("_r").agg(
        pl.col("_n").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique(maintain_order=True).alias("_instruments"),
        pl.col("_d").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique(maintain_order=True).alias("_domains"),
        pl.col("s").filter(pl.col("_n").list.len() > 0).first().alias("_inst_span"),
        pl.col("src").filter(pl.col("_n").list.len() > 0).first().alias("_inst_src"),
        pl.col("s").filter(pl.col("_d").list.len() > 0).first().alias("_dom_span"),
    ).with_columns(
        # an instrument implies its domain; "other" instruments imply "other"
        pl.concat_list(
            "_domains",
            pl.col("_instruments").list.eval(
                pl.when(pl.element().is_in(list(_OTHER_INSTRUMENTS))).then(pl.lit("other"))
                .when(pl.element().is_in(["VAS", "NPRS"])).then(pl.lit("pain"))
                .when(pl.element() == "PPT").then(pl.lit("pressure_pain_threshold"))
                .when(pl.element() == "ROM").then(pl.lit("range_of_motion"))
                .when(pl.element() == "strength").then(pl.lit("strength"))
                .when(pl.element().is_in(["SF-36", "SF-12", "EQ-5D"])).then(pl.lit("quality_of_life"))
                .when(pl.element().is_in(["TSK", "PCS"])).then(pl.lit("psychological"))
                .when(pl.element() == "medication_use").then(pl.lit("medication_use"))
                .when(pl.element().is_in(["WOMAC", "KOOS", "KSS", "Lysholm", "Kujala", "VISA-P", "Tegner", "IKDC",
                                          "LEFS", "TUG", "6MWT", "ODI", "NDI", "PSFS", "Lequesne index"]))
                .then(pl.lit("function"))).list.drop_nulls(),
        ).list.unique(maintain_order=True).alias("_domains"))
