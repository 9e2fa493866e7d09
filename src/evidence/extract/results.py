"""What the abstract says happened: adverse events, the direction of the findings, GRADE certainty."""

from __future__ import annotations

import polars as pl

from .text import INT, ascii_classes, masked

_AE = (r"adverse (?:events?|effects?|reactions?|outcomes?)|side[\s-]?effects?|complications?|(?-u:\b)harms?(?-u:\b)"
       r"|undesirable effects?|unwanted effects?")
_HARM = (r"soreness|bruis|h(?:a)?ematoma|bleeding|infection|abscess|pneumothorax|syncope|faint|vasovagal|"
         r"nerve (?:injury|damage)|broken needle|needle breakage|dizziness|nausea|post-?needling pain|local pain after")
# "no adverse events", "without side effects", "none of the patients reported complications",
# "adverse effects were not reported", "free of adverse events"
AE_NONE = (rf"(?-u:\b)(?:no|none|nobody|no one|without|zero|absence of|free of|free from|nor|neither|not any)(?-u:\b)(?:[\s-]+\w+){{0,4}}?[\s-]+(?:{_AE}|{_HARM})"
           rf"|(?:{_AE})[^.;]{{0,40}}?(?-u:\b)(?:were|was|are|is|had)\s+(?:not|never)\s+(?:\w+\s+)?(?:reported|observed|found|recorded|seen|noted|detected|occur|experienced)"
           rf"|(?:{_AE})[^.;]{{0,30}}?(?-u:\b)(?:did not|didn't|does not|do not)\s+(?:occur|happen|arise|appear)"
           rf"|(?-u:\b)no (?:patient|participant|subject)s? (?:\w+\s+){{0,2}}(?:reported|experienced|had|developed|suffered)")
AE_SOME = (rf"(?:mild|minor|transient|temporary|slight|moderate|local|few|some)\s+(?:\w+\s+){{0,2}}?(?:{_AE}|{_HARM})"
           rf"|(?:{_AE}|{_HARM})[^.;]{{0,50}}?(?-u:\b)(?:occurred|developed|were (?:mild|minor|transient|reported by|observed in|noted in)|was (?:mild|reported by|observed in)|resolved|in \d+ (?:patients|participants|subjects|cases))"
           rf"|(?-u:\b){INT}\s+(?:\w+\s+){{0,3}}?(?:reported|experienced|had|developed|suffered)\s+(?:\w+\s+){{0,3}}?(?:{_AE}|{_HARM})"
           rf"|complications? (?:of|after|following) (?:dry )?needling|developed an? (?:\w+\s+)?(?:abscess|infection|pneumothorax|h(?:a)?ematoma)"
           rf"|post-?needling soreness|muscle soreness|(?-u:\b)case of (?:\w+\s+){{0,2}}(?:{_HARM})|(?:{_HARM})\s+(?:was|were)\s+(?:reported|observed|noted)")
AE_ANY = rf"{_AE}|{_HARM}"
# mentions that plan or describe a measurement, not a finding
_AE_PLAN = r"will be|were (?:recorded|monitored|assessed|collected|documented)|was (?:recorded|monitored|assessed)|to (?:assess|evaluate|record|monitor)|safety and (?:efficacy|effectiveness)|effectiveness and safety"

# direction cues, read per clause (a sentence cut at ; and contrastive conjunctions)
FAVOURS = (r"more effective|(?-u:\b)superior(?-u:\b)|significantly (?:greater|better|more|larger|higher|lower)|greater (?:improvement|reduction|effect|benefit|decrease|increase)|"
           r"better (?:results|outcomes|improvement|effect)|favou?ring (?:the )?(?:experimental|dn|dry needling|intervention|treatment|needling)|"
           r"in favou?r of (?:the )?(?:experimental|dn|dry needling|intervention|group that received|trp-?dn|piedn)|significant advantage|"
           r"more significant|is (?:an )?effective|are effective|was effective|were effective|can be effective|effective (?:in|for|at|treatment|option|intervention)|"
           r"positive (?:effect|impact)|beneficial|promising|support for|(?:significant(?:ly)?|clinically meaningful|important) (?:\w+\s+){0,2}(?:improv|reduc|decreas|increas)|"
           r"(?-u:\b)(?:improve[sd]|improvements?|reduce[sd]|reduction|decrease[sd]|relieve[sd]?|alleviat\w*|helps? to reduce)(?-u:\b)|(?:more|greater) (?:pain )?reduction|showed more|better treatment option"
           r"|(?:better|greater|larger) (?:[\w-]+\s+){0,3}?(?:results|outcomes|scores|gains|effects?)|(?-u:\b)gains? in|hypoalges"
           r"|(?:can|may|could|to|did|does) (?:\w+\s+)?(?:reduce|improve|relieve|decrease|alleviate|help)(?-u:\b)|(?-u:\b)useful(?-u:\b)|appears? (?:to be )?(?:more )?effective"
           r"|(?:led to|resulted in|gave|produced|yielded|achieved) (?:\w+\s+)?(?:better|greater|larger|more|faster)(?-u:\b)|(?-u:\b)outperform\w*|(?-u:\b)relief(?-u:\b)|(?-u:\b)benefits?(?-u:\b)|(?-u:\b)(?:more|greater) (?:\w+\s+){0,2}(?:benefit|gain)")
NO_DIFF = (r"no (?:statistically )?(?:significant |clinically (?:important |relevant |meaningful )?|clear |meaningful |relevant |important |additional |consistent |added )?(?:between[\s-]group )?(?:difference|advantage|benefit|effect|changes?)|"
           r"without (?:a |any )?(?:clear |significant |meaningful |consistent |important |relevant )?(?:effect|benefit|difference|improvement|change)|noninferior|(?-u:\b)equivalent to|did not (?:outperform|add)|(?:insufficient|not enough|inadequate) evidence|evidence (?:is|was|remains) (?:insufficient|inadequate|inconclusive)|"
           r"(?:was|were|is|are) not (?:maintained|sustained|preserved|retained)|(?:did|does) not (?:persist|last)|no longer (?:significant|different|present)|"
           r"not (?:statistically )?(?:significantly )?different|no differences?|not (?:more|superior|better)|did not (?:improve|differ|yield|show|result|provide|produce|reduce|lead)|"
           r"(?:was|were) similar|similar(?:ly)? (?:effective|improvements?|results|outcomes|effects)|none of the (?:approaches|treatments|interventions|groups) was superior|"
           r"(?:no|negligible) additional (?:benefit|effect)|comparable|no significant|has not shown|have not shown|neither|not superior|lack of significant|failed to|no (?:clinical )?improvement|inconclusive|unclear|no (?:more effective|better)(?-u:\b)")
FAVOURS_COMPARATOR = (r"less effective than|(?-u:\b)inferior to|more effective than (?:trigger point |trp-?|the )?(?:dry needling|dn|tdn|trp-?dn|needling)|"
                      r"in favou?r of (?:the )?(?:control|sham|comparator|placebo)|favou?ring (?:the )?(?:control|sham|comparator|placebo)")
# within-group or both-arm statements say nothing about the comparison
_NEUTRAL = (r"[^.;,]*(?-u:\b)(?:both (?:the )?(?:groups|approaches|interventions|techniques|treatments|arms)|each group|in all groups|"
            r"regardless of|as well as|with (?:and|or) without|within[\s-]group|(?:two|2) techniques|all groups|demographic|baseline characteristics|at baseline|similar in (?:age|sex|gender|height|weight|bmi|body mass)|"
            r"further (?:research|studies|investigation)|future (?:research|studies)|more (?:\w+\s+){0,3}(?:studies|trials|research) (?:are|is) (?:needed|required|warranted)|"
            r"needed|warranted|should be)(?-u:\b)[^;,]*")
_CLAUSE = r";|,?\s+but\s+|,?\s*however,?|\s+whereas\s+|,?\s+although\s+|,?\s+while\s+"
# a clause whose subject is the control arm and which says it did better: "the control group showed
# greater improvement", "shockwave therapy relieved pain sooner" (the needling arm is never its subject)
_COMP_ARM = (r"control|sham|placebo|comparator|usual[\s-]care|[\w-]+[\s-]only|shock\s?wave|eswt|injections?|corticosteroids?|steroids?"
             r"|manual therapy|massage|taping|laser|tens|electrolysis|ischa?emic compression|exercise alone|physiotherapy alone|the other group")
_COMP_CUE = (r"(?:greater|better|larger|more|faster|sooner|earlier|superior)(?-u:\b)")
_COMP_WINS = rf"(?:^|;)\s*(?:the |a )?(?:{_COMP_ARM})(?-u:\b)[^;]{{0,60}}?{_COMP_CUE}[^;]*"
# "a benefit that was not maintained": the fading is a clause of its own
_FADES = (r"(?-u:\b)(?:(?:that|which) ((?:was|were|is|are) not (?:maintained|sustained|preserved|retained))"
          r"|(without (?:a |any )?(?:clear |significant |meaningful |consistent |important |relevant )?(?:effect|benefit|difference|improvement|change)s?))")

_CERTAINTY = (r"(?-u:\b)(very[\s-]low|low|moderate|high)(?:[\s-]+to[\s-]+(?:very[\s-]low|low|moderate|high))?[\s-]+(?:quality|certainty|level|grade)?[\s-]*(?:of[\s-]+)?evidence(?-u:\b)"
              r"|(?:quality|certainty|level|strength) of (?:the )?evidence (?:\w+\s+){0,4}?(?:to|as|was|were|is|ranged from)\s+(very[\s-]low|low|moderate|high)(?-u:\b)")


_CONCLUDING = (r"in conclusion|we conclude|these (?:findings|results|data) (?:suggest|indicate|show|demonstrate)"
               r"|this study (?:provides|shows|suggests|found|indicates|demonstrates|revealed)|results? (?:of this study )?(?:suggest|indicate)"
               r"|findings suggest|evidence (?:suggests|showed|shows|supports)|(?-u:\b)this review(?-u:\b)")
_PARTS = ("c", "r", "l")
_NO_HARM = (r"(?-u:\b)no (?:\w+\s+){0,2}(?:soreness|bruis|infection|complication)"
            r"|(?-u:\b)no (?:\w+\s+){0,2}(?:side[\s-]?effects?|adverse (?:events?|effects?|reactions?)) (?:were|was) (?:observed|reported|noted|seen|recorded)")
# every pattern here reads ``l`` (see ``text.lower``): ASCII classes run faster
(AE_NONE, AE_SOME, AE_ANY, _AE_PLAN, FAVOURS, NO_DIFF, FAVOURS_COMPARATOR, _NEUTRAL, _CLAUSE, _CERTAINTY, _CONCLUDING,
 _NO_HARM, _COMP_WINS, _FADES) = map(ascii_classes, (AE_NONE, AE_SOME, AE_ANY, _AE_PLAN, FAVOURS, NO_DIFF, FAVOURS_COMPARATOR,
                                                     _NEUTRAL, _CLAUSE, _CERTAINTY, _CONCLUDING, _NO_HARM, _COMP_WINS, _FADES))


# the last sentence speaks for the abstract only when it is whole: a text cut off mid-sentence
# ("Dry needling may help runners with") stops before any result
_COMPLETE = r"[.!?][\"')\]]?[[:space:]]*$"


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: adverse-event cues, direction cues by part of the abstract, a GRADE statement.

    In stages, so that each pattern runs once and only on the sentences that can use it.
    """
    l, c = pl.col("l"), pl.col  # patterns run on the lower-cased sentence; spans keep the original
    kind = pl.col("kind")
    is_abs = pl.col("src") == "abstract"
    # each pattern reads only the sentences whose flag it can change (``masked``): the flags below are
    # used only with ``is_abs``, and the kind decides the others
    # (a text or flag read by several columns is a column of its own, in an earlier stage: polars
    # computes an expression that holds a when/then once per use)
    first = {"_x_cl": (kind == "conclusion") | masked(is_abs & ~kind.is_in(["background", "conclusion"]), l).str.contains(_CONCLUDING).fill_null(False),
             "_x_rl": (kind == "results") | masked(is_abs & (kind != "results"), l).str.contains(
                 r"(?-u:\b)p[[:space:]]*[<=>≤]|significant|improv|differen|compared").fill_null(False),
             "_x_l": masked(is_abs & pl.col("last"), l).str.contains(_COMPLETE).fill_null(False),
             "_x_ae": masked(kind != "background", l).str.contains(AE_ANY).fill_null(False),
             "_x_ev": masked(l.str.contains("evidence", literal=True), l)}
    conclusion_like, results_like = c("_x_cl"), c("_x_rl")
    lae = masked(c("_x_ae"), l)
    cert = c("_x_ev").str.extract_groups(_CERTAINTY)
    second = {
        "_x_c": is_abs & conclusion_like, "_x_r": is_abs & results_like & ~conclusion_like,
        "_f_ae_some": (lae.str.contains(AE_SOME) & ~lae.str.contains(_NO_HARM)).fill_null(False),
        "_f_ae_none": lae.str.contains(AE_NONE).fill_null(False),
        "_f_ae_other": (~lae.str.contains(_AE_PLAN)).fill_null(False),
        "_cert_v": pl.coalesce(cert.struct.field("1"), cert.struct.field("2")).str.replace(r"[[:space:]-]+", "_"),
        "_x_cert_ok": ~c("_x_ev").str.contains(r"evidence (?:is|are) (?:needed|required|lacking)|high-quality (?:studies|trials|rcts|research)"),
        "_kind_res": kind.is_in(["results", "conclusion"]), "_is_abs": is_abs,
    }
    # direction is read only where some part of the abstract could state it
    # "non-inferior" is one word, so that "inferior to" reads the comparator's win only
    third = {"_x_ld": masked(c("_x_c") | c("_x_r") | c("_x_l"), l).str.replace_all(r"(?-u:\b)non[[:space:]-]+inferior", "noninferior")}
    ld = c("_x_ld")
    fourth = {
        # clauses with within-group or both-arm statements removed
        "_x_clean": ld.str.replace_all(_FADES, " ; $1$2").str.replace_all(_CLAUSE, " ; ").str.replace_all(_NEUTRAL, " "),
        "_x_fc": ld.str.contains(FAVOURS_COMPARATOR).fill_null(False),
    }
    clean = c("_x_clean")
    fifth = {
        "_x_nd": clean.str.contains(NO_DIFF).fill_null(False),
        "_x_fc2": clean.str.contains(_COMP_WINS).fill_null(False),
        "_f_cert": (c("_x_cert_ok") & c("_cert_v").is_not_null()).fill_null(False),
        "_x_fv": clean.str.contains(FAVOURS).fill_null(False),
    }
    # only a sentence with a match of FAVOURS is worth rewriting (removing clauses never makes one):
    # first without the clauses where the comparator wins, in the sentences that have one (``_x_fc2``)
    sixth = {"_x_v1": pl.coalesce(masked(c("_x_fv") & c("_x_fc2"), clean).str.replace_all(_COMP_WINS, " ; "),
                                  masked(c("_x_fv"), clean))}
    # a clause that denies a difference ("improvements were not different") does not favour anything,
    # and "X was more effective than dry needling" favours the comparator only (``_removed``)
    seventh = {"_x_v2": _removed(c("_x_v1"), c("_x_nd"), NO_DIFF)}
    eighth = {"_x_fav": _removed(c("_x_v2"), c("_x_fc"), FAVOURS_COMPARATOR).str.contains(FAVOURS).fill_null(False)}
    parts = {}
    for p in _PARTS:
        parts |= {f"_f_{p}_fav": c(f"_x_{p}") & c("_x_fav"), f"_f_{p}_nd": c(f"_x_{p}") & c("_x_nd"),
                  f"_f_{p}_fc": c(f"_x_{p}") & (c("_x_fc") | c("_x_fc2"))}
    return [first, second, third, fourth, fifth, sixth, seventh, eighth, parts]


def _removed(text: pl.Expr, where: pl.Expr, pattern: str) -> pl.Expr:
    """``text`` (a column) with every clause that holds a match of ``pattern`` blanked, read only where
    ``where`` says the sentence has one.

    The texts here are the sentence with clauses removed or split (``" ; "``, ``" "`` in their
    place), which never makes a match the sentence did not have: the flags read on the sentence
    (``_x_nd``, ``_x_fc``) tell which texts can hold a clause to blank.
    """
    return pl.coalesce(masked(where, text).str.replace_all(r"[^;]*(?:" + pattern + r")[^;]*", " "), text)


def aggregations() -> list[pl.Expr]:
    s, c = pl.col("s"), pl.col
    parts = []
    for p in _PARTS:
        fav, nd, fc = c(f"_f_{p}_fav"), c(f"_f_{p}_nd"), c(f"_f_{p}_fc")
        parts += [fav.any().alias(f"_d_{p}_fav"), nd.any().alias(f"_d_{p}_nd"), fc.any().alias(f"_d_{p}_fc"),
                  s.filter(fav | nd | fc).last().alias(f"_d_{p}_span")]
    return [
        c("_f_ae_some").any().alias("_ae_some"), s.filter(c("_f_ae_some")).first().alias("_ae_some_span"),
        c("_f_ae_none").any().alias("_ae_none"), s.filter(c("_f_ae_none")).first().alias("_ae_none_span"),
        c("_f_ae_other").any().alias("_ae_other"), s.filter(c("_f_ae_other")).first().alias("_ae_other_span"),
        c("_kind_res").any().alias("_has_results_section"),
        c("_is_abs").any().alias("_has_abstract"),
        c("_cert_v").filter(c("_f_cert")).first().alias("_certainty"),
        s.filter(c("_f_cert")).first().alias("_certainty_span"),
        *parts,
    ]


def adverse_expr() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    c = pl.col
    value = (pl.when(c("_ae_some")).then(pl.lit("reported"))
             .when(c("_ae_none")).then(pl.lit("none_reported"))
             .when(c("_ae_other")).then(pl.lit("reported"))
             .otherwise(pl.lit("not_mentioned")))
    span = (pl.when(c("_ae_some")).then(c("_ae_some_span")).when(c("_ae_none")).then(c("_ae_none_span"))
            .when(c("_ae_other")).then(c("_ae_other_span")))
    conf = (pl.when(c("_ae_some") | c("_ae_none")).then(0.85).when(c("_ae_other")).then(0.5).otherwise(0.7))
    return value, span, conf


def direction_expr(relevant: pl.Expr, design: pl.Expr, adverse: pl.Expr) -> pl.Expr:
    """Direction from the conclusion, else the results, else the last sentence."""
    c = pl.col

    def verdict(p: str) -> pl.Expr:
        fav, nd, fc = c(f"_d_{p}_fav").fill_null(False), c(f"_d_{p}_nd").fill_null(False), c(f"_d_{p}_fc").fill_null(False)
        return (pl.when(fc & ~fav).then(pl.lit("favours_comparator"))
                # the comparator better on one outcome or time point, needling on another
                .when(fc & fav).then(pl.lit("mixed"))
                .when(fav & nd).then(pl.lit("mixed"))
                .when(fav).then(pl.lit("favours_dry_needling"))
                .when(nd).then(pl.lit("no_difference")))

    conc, res, last = verdict("c"), verdict("r"), verdict("l")
    # the conclusion decides; the results speak only when the conclusion is missing (cut short)
    combined = pl.coalesce(conc, res, last)
    value = (pl.when(~relevant | (design == "protocol")).then(pl.lit("not_applicable"))
             .when(~c("_has_abstract").fill_null(False)).then(pl.lit(None, pl.String))
             .when(combined.is_null() & (adverse == "reported")).then(pl.lit("not_applicable"))
             .otherwise(combined.fill_null(pl.lit("unclear"))))
    return value


def direction_span(relevant: pl.Expr, design: pl.Expr, value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(span, confidence) of the direction ``value`` (a column: each reads it several times)."""
    c = pl.col

    def stated(p: str) -> pl.Expr:
        """Does part ``p`` give a verdict (see ``direction_expr``)?"""
        return c(f"_d_{p}_fav").fill_null(False) | c(f"_d_{p}_nd").fill_null(False) | c(f"_d_{p}_fc").fill_null(False)

    # not applicable: the span is that of the fact it follows from (protocol, not relevant, harm only)
    span = (pl.when(value == "not_applicable").then(
        pl.when(~relevant).then(c("relevant_span")).when(design == "protocol").then(c("design_span"))
        .otherwise(c("adverse_events_span")))
            .when(stated("c")).then(c("_d_c_span"))
            .when(stated("r")).then(c("_d_r_span"))
            .when(stated("l")).then(c("_d_l_span")))
    conf = (pl.when(value.is_null()).then(None).when(value == "not_applicable").then(0.9)
            .when(value == "unclear").then(0.5).when(stated("c")).then(0.7).otherwise(0.55))
    return span, conf


def certainty_expr(design: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    c = pl.col
    ok = design.is_in(["systematic_review", "meta_analysis", "narrative_review"])
    value = pl.when(ok).then(c("_certainty"))
    return value, pl.when(value.is_not_null()).then(c("_certainty_span")), pl.when(value.is_not_null()).then(0.75)
