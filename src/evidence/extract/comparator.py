"""What the control arm got in place of the needling.

Cues are read per sentence and combined per record: sham needling, a placebo that is not
needling, no treatment / waiting list, a different active treatment, or "the same programme
alone" (cointervention only). Two or more kinds of control arm make ``multiple``.
"""

from __future__ import annotations

import polars as pl

SHAM = (r"(?i)(?-u:\b)sham(?-u:\b)|simulated (?:dry )?needl|placebo needl|non-?penetrat|streitberger|park sham|"
        r"(?-u:\b)simulated (?:dry needling|dn|treatment|intervention)")
PLACEBO = r"(?i)(?-u:\b)placebo(?-u:\b)|detuned|switched[\s-]off|inactive (?:device|laser|ultrasound|tens)"
NO_TREATMENT = (r"(?i)(?-u:\b)no (?:further |additional )?(?:treatment|intervention|therapy)(?-u:\b)|wait(?:ing)?[\s-]?list"
                r"|(?-u:\b)untreated(?-u:\b)|(?-u:\b)no[\s-]treatment control|usual activities only")
COINTERVENTION = (r"(?i)(?-u:\b)alone(?-u:\b)|(?-u:\b)only(?-u:\b)|with (?:and|or) without|in addition to|added to|(?-u:\b)adding(?-u:\b)|addition of"
                  r"|(?-u:\b)plus(?-u:\b)|(?-u:\b)combined with(?-u:\b)|both groups (?:received|underwent|performed|were given|got|followed|completed)"
                  r"|(?:given|applied|provided|prescribed) to both groups|also (?:received|underwent|got|had)|the same (?:\w+\s+){0,4}(?:program|programme|protocol|exercises?|treatment)"
                  r"|\+\s*(?:dn|trp-?dn|dry needling|ug-dn)|moreover,? the experimental group")
ACTIVE = (r"(?i)shock\s?wave|(?-u:\b)eswt(?-u:\b)|(?-u:\b)swt(?-u:\b)|isch(?:a)?emic compression|(?-u:\b)injection|electrolysis|(?-u:\b)pne(?-u:\b)|(?-u:\b)epi(?-u:\b)|laser|"
          r"corticosteroid|steroid|(?-u:\b)drug|medication|(?-u:\b)nsaid|kinesio|taping|manipulation|mobili[sz]ation|massage|"
          r"instrument[\s-]assisted|(?-u:\b)iastm(?-u:\b)|radiofrequency|prolotherapy|platelet|(?-u:\b)prp(?-u:\b)|acupuncture|"
          r"(?:conventional|standard|routine|usual) (?:physical therapy|physiotherapy|care|treatment)|"
          r"ultrasound therapy|(?-u:\b)tens(?-u:\b)|interferential|pressure release|strain-counterstrain|muscle energy")
_COMPARE = r"(?i)(?-u:\b)versus(?-u:\b)|(?-u:\b)vs\.?|(?-u:\b)compar|(?-u:\b)either(?-u:\b)|(?-u:\b)or(?-u:\b)|(?-u:\b)groups?(?-u:\b)|(?-u:\b)randomi|(?-u:\b)control(?-u:\b)|(?-u:\b)arms?(?-u:\b)"
_DN = r"(?i)dry[\s-]*need|(?-u:\b)dn(?-u:\b)|trp-?dn|needling|(?-u:\b)ims(?-u:\b)"


def comparator_features(sents: pl.LazyFrame) -> pl.LazyFrame:
    s = pl.col("s")
    sentence_ok = pl.col("kind") != "background"
    coint_sent = s.str.contains(COINTERVENTION)
    # the control arm is named where the study is described, not where results are reported
    active = sentence_ok & ~pl.col("kind").is_in(["results", "conclusion"]) & s.str.contains(ACTIVE) & s.str.contains(_COMPARE) & ~coint_sent
    f = {
        "_c_sham": sentence_ok & s.str.contains(SHAM),
        "_c_placebo": sentence_ok & s.str.contains(PLACEBO) & ~s.str.contains(SHAM),
        "_c_none": sentence_ok & s.str.contains(NO_TREATMENT),
        "_c_active": active,
        "_c_coint": sentence_ok & coint_sent & s.str.contains(
            r"(?i)exercis|physio|physical therap|program|stretch|manual therap|treatment|therapy|care|(?-u:\b)pt(?-u:\b)|(?-u:\b)cpt(?-u:\b)|(?-u:\b)ee(?-u:\b)"),
        "_c_compare": sentence_ok & s.str.contains(r"(?i)(?-u:\b)versus(?-u:\b)|(?-u:\b)vs\.?|(?-u:\b)compar|(?-u:\b)with(?-u:\b)") & s.str.contains(_DN),
    }
    return sents.with_columns(**f).sort("_r", "_i").group_by("_r").agg(
        *[pl.col(k).any() for k in f],
        *[pl.col("s").filter(pl.col(k)).first().alias(f"{k}_span") for k in f],
    )


def comparator_expr(design: pl.Expr, groups: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(comparator, span, confidence); null for reviews, ``none`` for single-group designs."""
    c = pl.col
    kinds = (c("_c_sham").cast(pl.Int32) + c("_c_placebo").cast(pl.Int32) + c("_c_none").cast(pl.Int32)
             + c("_c_active").cast(pl.Int32))
    single = design.is_in(["case_report", "case_series", "single_group_pre_post", "cohort", "cross_sectional"]) & (
        groups.fill_null(1) <= 1)
    review = design.is_in(["systematic_review", "meta_analysis", "narrative_review"])
    value = (pl.when(review | design.is_null()).then(pl.lit(None, pl.String))
             .when(single).then(pl.lit("none"))
             .when(kinds >= 2).then(pl.lit("multiple"))
             .when(c("_c_sham")).then(pl.lit("sham"))
             .when(c("_c_placebo")).then(pl.lit("placebo"))
             .when(c("_c_none")).then(pl.lit("no_treatment"))
             .when(c("_c_coint")).then(pl.lit("cointervention_only"))
             .when(c("_c_active") | c("_c_compare")).then(pl.lit("active_other")))
    span = (pl.when(value == "sham").then(c("_c_sham_span"))
            .when(value == "placebo").then(c("_c_placebo_span"))
            .when(value == "no_treatment").then(c("_c_none_span"))
            .when(value == "cointervention_only").then(c("_c_coint_span"))
            .when(value == "active_other").then(pl.coalesce(c("_c_active_span"), c("_c_compare_span")))
            .when(value == "multiple").then(pl.coalesce(c("_c_sham_span"), c("_c_active_span"), c("_c_none_span"))))
    conf = (pl.when(value.is_null()).then(None)
            .when(value == "none").then(0.8)
            .when(value.is_in(["sham", "no_treatment"])).then(0.8)
            .otherwise(0.6))
    return value, span, conf
