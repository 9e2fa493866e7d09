"""What the control arm got in place of the needling.

Cues are read per sentence and combined per record: sham needling, a placebo that is not
needling, no treatment / waiting list, a different active treatment, or "the same programme
alone" (cointervention only). Two or more kinds of control arm make ``multiple``.
"""

from __future__ import annotations

import polars as pl

from .text import ascii_classes, bare, masked

SHAM = (r"(?i)(?-u:\b)sham(?-u:\b)|simulated (?:dry )?needl|placebo needl|non-?penetrat|streitberger|park sham|"
        r"(?-u:\b)simulated (?:dry needling|dn|treatment|intervention)")
PLACEBO = r"(?i)(?-u:\b)placebo(?-u:\b)|detuned|switched[\s-]off|inactive (?:device|laser|ultrasound|tens)"
NO_TREATMENT = (r"(?i)(?-u:\b)no (?:further |additional )?(?:treatment|intervention|therapy)(?-u:\b)|wait(?:ing)?[\s-]?list"
                r"|(?-u:\b)untreated(?-u:\b)|(?-u:\b)no[\s-]treatment control|usual activities only")
COINTERVENTION = (r"(?i)(?-u:\b)alone(?-u:\b)|(?-u:\b)only(?-u:\b)|with (?:and|or) without|in addition to|added to|(?-u:\b)adding(?-u:\b)|addition of"
                  r"|(?-u:\b)plus(?-u:\b)|(?-u:\b)combined with(?-u:\b)|both groups (?:received|underwent|performed|were given|got|followed|completed)"
                  r"|(?:given|applied|provided|prescribed) to both groups|also (?:received|underwent|got|had)|the same (?:\w+\s+){0,4}(?:program|programme|protocol|exercises?|treatment)"
                  r"|\+\s*(?:dn|trp-?dn|dry needling|ug-dn)")
ACTIVE = (r"(?i)shock\s?wave|(?-u:\b)eswt(?-u:\b)|(?-u:\b)swt(?-u:\b)|isch(?:a)?emic compression|(?-u:\b)injection|electrolysis|(?-u:\b)pne(?-u:\b)|(?-u:\b)epi(?-u:\b)|laser|"
          r"corticosteroid|steroid|(?-u:\b)drug|medication|(?-u:\b)nsaid|kinesio|taping|manipulation|mobili[sz]ation|massage|"
          r"instrument[\s-]assisted|(?-u:\b)iastm(?-u:\b)|radiofrequency|prolotherapy|platelet|(?-u:\b)prp(?-u:\b)|acupuncture|"
          r"(?:conventional|standard|routine|usual) (?:physical therapy|physiotherapy|care|treatment)|"
          r"ultrasound therapy|(?-u:\b)tens(?-u:\b)|interferential|pressure release|strain-counterstrain|muscle energy")
_COMPARE = r"(?i)(?-u:\b)versus(?-u:\b)|(?-u:\b)vs\.?|(?-u:\b)compar|(?-u:\b)either(?-u:\b)|(?-u:\b)or(?-u:\b)|(?-u:\b)groups?(?-u:\b)|(?-u:\b)randomi|(?-u:\b)control(?-u:\b)|(?-u:\b)arms?(?-u:\b)"
_DN = r"(?i)dry[\s-]*need|(?-u:\b)dn(?-u:\b)|trp-?dn|needling|(?-u:\b)ims(?-u:\b)"


_COINT_WHAT = (r"(?i)exercis|physio|physical therap|program|stretch|manual therap|treatment|therapy|care|training|loading"
               r"|rehabilitation|strengthening"
               r"|(?-u:\b)pt(?-u:\b)|(?-u:\b)cpt(?-u:\b)|(?-u:\b)ee(?-u:\b)")
_VERSUS = r"(?-u:\b)versus(?-u:\b)|(?-u:\b)vs\.?|(?-u:\b)compar|(?-u:\b)with(?-u:\b)"
# a placebo or sham device is the placebo arm, not an active treatment: "detuned TENS", "placebo laser"
_PLACEBO_DEVICE = (r"(?i)(?:placebo|sham|detuned|inactive|switched[\s-]off)\s+(?:\w+\s+)?(?:tens|laser|ultrasound|shock\s?wave"
                   r"|(?-u:\b)eswt|interferential|taping|kinesio|device|unit)")
# the arms named as alternatives, "dry needling or manual therapy, in addition to home exercise": the
# shared co-treatment does not make the other arm's treatment a co-intervention ("X alone" still does)
_ALT = ACTIVE.removeprefix("(?i)") + r"|manual therap|exercise therap|physiotherapy program"
_EITHER = (rf"(?i)(?:dry[\s-]*needling|(?-u:\b)dn(?-u:\b))(?:[\s-]+[\w-]+){{0,6}}?,?\s+or\s+(?:to\s+)?(?:receive\s+)?(?:an?\s+|the\s+)?(?:[\w-]+\s+){{0,3}}?(?:{_ALT})"
           rf"|(?:{_ALT})(?:[\s-]+[\w-]+){{0,3}}?,?\s+or\s+(?:to\s+)?(?:trigger[\s-]point\s+)?(?:dry[\s-]*needling|(?-u:\b)dn(?-u:\b))")
_ALONE = r"(?i)(?-u:\b)(?:alone|only)(?-u:\b)"
_KINDS = ("_c_sham", "_c_placebo", "_c_none", "_c_active", "_c_coint", "_c_compare")


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: which kind of control arm it describes (background sentences never do).

    Every cue reads every sentence (a union of them would pick two thirds of the sentences: see
    ``text.cue_stages``), except the slow ones that only count together with another cue: each of
    those reads only the sentences where that cue holds, and is false elsewhere.
    """
    # background sentences never describe this study's arms: they are not read at all
    first = {"_c_l": masked(pl.col("kind") != "background", pl.col("l"))}
    text, h = pl.col("_c_l"), pl.col
    # the control arm is named where the study is described, not where results are reported
    described = ~pl.col("kind").is_in(["results", "conclusion"])

    def cue(pattern: str, where: pl.Expr | None = None) -> pl.Expr:
        read = text if where is None else masked(where, text)
        return read.str.contains(ascii_classes(bare(pattern))).fill_null(False)

    cues = {"_h_sham": cue(SHAM), "_h_placebo": cue(PLACEBO), "_h_none": cue(NO_TREATMENT), "_h_coint_what": cue(_COINT_WHAT),
            "_h_compare": cue(_COMPARE), "_h_versus": cue(_VERSUS), "_h_pdev": cue(_PLACEBO_DEVICE), "_h_alone": cue(_ALONE)}
    dependent = {
        "_h_active": cue(ACTIVE, described & h("_h_compare")),
        "_h_coint": cue(COINTERVENTION, h("_h_coint_what") | described & h("_h_compare")),
        # "either" needs an "or" between the arms
        "_h_either": cue(_EITHER, described & text.str.contains(r"[[:space:]]or[[:space:]]")),
        "_h_dn": cue(_DN, h("_h_versus")),
    }
    final = {
        "_c_sham": h("_h_sham"),
        "_c_placebo": h("_h_placebo") & ~h("_h_sham"),
        "_c_none": h("_h_none"),
        "_c_active": described & ~h("_h_pdev") & (h("_h_active") & h("_h_compare") & ~h("_h_coint")
                                                   | h("_h_either") & ~h("_h_alone")),
        "_c_coint": h("_h_coint") & h("_h_coint_what") & ~(described & h("_h_either") & ~h("_h_alone")),
        "_c_compare": h("_h_versus") & h("_h_dn"),
    }
    return [first, cues, dependent, final]


def aggregations() -> list[pl.Expr]:
    return [*[pl.col(k).any() for k in _KINDS],
            *[pl.col("s").filter(pl.col(k)).first().alias(f"{k}_span") for k in _KINDS]]


def comparator_expr(design: pl.Expr, groups: pl.Expr) -> pl.Expr:
    """The comparator: null for reviews, ``none`` for single-group designs."""
    c = pl.col
    kinds = (c("_c_sham").cast(pl.Int32) + c("_c_placebo").cast(pl.Int32) + c("_c_none").cast(pl.Int32)
             + c("_c_active").cast(pl.Int32))
    compared = (kinds >= 1) | c("_c_coint")
    single = (design.is_in(["case_report", "case_series", "single_group_pre_post"])
              | design.is_in(["cohort", "cross_sectional"]) & ~compared) & (groups.fill_null(1) <= 1)
    review = design.is_in(["systematic_review", "meta_analysis", "narrative_review"])
    value = (pl.when(review | design.is_null()).then(pl.lit(None, pl.String))
             .when(single).then(pl.lit("none"))
             .when(kinds >= 2).then(pl.lit("multiple"))
             .when(c("_c_sham")).then(pl.lit("sham"))
             .when(c("_c_placebo")).then(pl.lit("placebo"))
             .when(c("_c_none")).then(pl.lit("no_treatment"))
             .when(c("_c_coint")).then(pl.lit("cointervention_only"))
             .when(c("_c_active") | c("_c_compare")).then(pl.lit("active_other")))
    return value


def comparator_span(value: pl.Expr, design_span: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(span, confidence) of the comparator ``value`` (a column: each reads it several times); the
    span of ``none`` is the design's."""
    c = pl.col
    span = (pl.when(value == "none").then(design_span)
            .when(value == "sham").then(c("_c_sham_span"))
            .when(value == "placebo").then(c("_c_placebo_span"))
            .when(value == "no_treatment").then(c("_c_none_span"))
            .when(value == "cointervention_only").then(c("_c_coint_span"))
            .when(value == "active_other").then(pl.coalesce(c("_c_active_span"), c("_c_compare_span")))
            .when(value == "multiple").then(pl.coalesce(c("_c_sham_span"), c("_c_active_span"), c("_c_none_span"))))
    conf = (pl.when(value.is_null()).then(None)
            .when(value == "none").then(0.8)
            .when(value.is_in(["sham", "no_treatment"])).then(0.8)
            .otherwise(0.6))
    return span, conf
