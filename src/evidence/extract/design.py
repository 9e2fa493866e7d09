"""Study design from publication types (when trustworthy) and the text.

PubMed publication types are trusted only for MEDLINE citations indexed by hand (``indexing_method``
not "Automated"); the text is always read. A protocol (planned study, no results) is never a trial
with results, whatever the publication types say.
"""

from __future__ import annotations

import polars as pl

from .text import TAGS, cue_stages, tagged

PROTOCOL = (r"(?i)(?-u:\b)(?:study|trial|review) protocol(?-u:\b)|(?-u:\b)protocol (?:for|of) an? (?:\w+\s+){0,4}(?:trial|study|review)"
            r"|(?-u:\b)this protocol(?-u:\b)|:\s*(?:a\s+)?protocol(?-u:\b)|protocol$")
FUTURE = (r"(?i)(?-u:\b)will be (?:randomi[sz]ed|recruited|enrolled|allocated|assigned|included|conducted|randomly)"
          r"|(?-u:\b)we will (?:recruit|enrol|randomi[sz]e|conduct|include)")
META = r"(?i)meta-?analys[ie]s|meta-?regression|pooled analys"
META_NEG = r"(?i)meta-?analys[ie]s (?:was|were|could) not|not (?:possible|feasible) to (?:perform|conduct) (?:a )?meta"
SYSTEMATIC = r"(?i)systematic(?:ally)? (?:review|search|literature|evaluat)|scoping review|umbrella review|(?-u:\b)prisma(?-u:\b)"
NARRATIVE = r"(?i)narrative review|literature review|review of (?:the )?literature|(?-u:\b)clinical commentary"
CASE_REPORT = r"(?i)(?-u:\b)case (?:report|study|presentation)(?-u:\b)|(?-u:\b)a \d+[\s-]*years?[\s-]*old(?-u:\b)|(?-u:\b)we (?:present|report|describe) (?:a|the case|\d+ (?:consecutive )?(?:patients|cases|athletes|women|men))(?-u:\b)"
CASE_SERIES = r"(?i)(?-u:\b)case series(?-u:\b)|(?-u:\b)case-series(?-u:\b)"
CROSSOVER = r"(?i)cross-?over"
PILOT = r"(?i)(?-u:\b)pilot(?-u:\b)|(?-u:\b)feasibility(?-u:\b)"
NONRANDOM = r"(?i)non-?randomi[sz]ed|quasi[\s-]?(?:experimental|randomi)|not randomi[sz]ed|without randomi"
RANDOM = (r"(?i)(?-u:\b)randomi[sz]ed(?-u:\b)|(?-u:\b)at random(?-u:\b)|computer[\s-]generated (?:random )?(?:sequence|list|schedule|allocation)|(?-u:\b)random (?:allocation|sequence|number)|(?-u:\b)randomly(?-u:\b)|(?-u:\b)randomi[sz]ation(?-u:\b)|(?-u:\b)randomi[sz]ed[- ]controlled|(?-u:\b)rct(?-u:\b)")
FUTURE_WORDS = r"(?i)future (?:studies|research|trials)|further (?:studies|research|trials|investigation)|should be|(?:is|are) (?:needed|required|warranted)|recommend"
COHORT = r"(?i)(?-u:\b)cohort(?-u:\b)|(?-u:\b)prospective(?:ly)? (?:observational|follow)|(?-u:\b)retrospective(?-u:\b)"
CROSS_SECTIONAL = r"(?i)cross-?sectional|(?-u:\b)survey(?-u:\b)"
CADAVER = r"(?i)cadaver|cadaveric|embalmed"
PREPOST = (r"(?i)pre-?test[\s-]*post-?test|pre[\s-]*post|before[\s-]and[\s-]after|single[\s-]group|(?:one|1)[\s-]group"
           r"|single[\s-]arm|quasi[\s-]?experimental")
CONTROLLED = (r"(?i)(?-u:\b)(?:two|three|four|2|3|4) (?:\w+\s+)?(?:groups|arms)(?-u:\b)|(?-u:\b)control group(?-u:\b)|(?-u:\b)comparison group(?-u:\b)"
              r"|(?-u:\b)versus(?-u:\b)|(?-u:\b)vs\.?(?-u:\b)|(?-u:\b)compared (?:with|to)(?-u:\b)")
# every match of CONTROLLED names groups, arms or a comparison; it may start with a digit, which a
# scan for its first letters would find everywhere, so a scan for these words picks its sentences
_CONTROLLED_WORDS = "group|arms|versus|vs|compared"


_CUES = {"protocol": PROTOCOL, "meta": META, "sr": SYSTEMATIC, "narr": NARRATIVE, "series": CASE_SERIES,
         "case": CASE_REPORT, "nonrand": NONRANDOM, "cross": CROSSOVER, "pilot": PILOT, "cohort": COHORT,
         "xs": CROSS_SECTIONAL, "cadaver": CADAVER, "prepost": PREPOST, "controlled": CONTROLLED}
# a review or future-work sentence mentioning trials says nothing of this study's design
_NOT_OWN = (r"trials? (?:were|was) (?:selected|included|eligible)|(?-u:\b)included (?:rcts|trials|studies)"
            r"|randomi[sz]ed controlled (?:trials|studies) (?:with|involving|that|were|of)")


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: one flag per design cue (all patterns read the lower-cased sentence)."""
    cues = _CUES | {"future": FUTURE, "meta_neg": META_NEG, "random": RANDOM, "future_words": FUTURE_WORDS,
                    "not_own": _NOT_OWN}
    # (the cues found in a tenth of the sentences or more: see ``text.cue_stages``)
    first, flags = cue_stages("l", cues, "_g_", common=("random", "controlled"), gates={"controlled": _CONTROLLED_WORDS})
    g = pl.col
    final = {f"_f_{k}": g(f"_g_{k}") for k in _CUES}
    final |= {"_f_future": g("_g_future"),
              "_f_meta": g("_g_meta") & ~g("_g_meta_neg"),
              "_f_rand": g("_g_random") & ~g("_g_nonrand") & ~g("_g_future_words") & ~g("_g_not_own"),
              "_f_protocol": g("_g_protocol") | g("_g_future")}
    return [first, flags, final]


def aggregations() -> list[pl.Expr]:
    """The first sentence that showed each cue."""
    return [*[pl.col("s").filter(pl.col(f"_f_{k}")).first().alias(f"_sp_{k}") for k in [*_CUES, "rand"]],
            pl.col("_f_future").any().alias("_future")]


def record_columns() -> list[dict[str, pl.Expr]]:
    """Per record: the publication types, when MEDLINE indexed them by hand (one stage)."""
    pt = pl.col("publication_types").fill_null([])
    trusted = (pl.col("citation_status") == "MEDLINE") & (pl.col("indexing_method").fill_null("") != "Automated")
    return [{
        "_pt_protocol": pt.list.contains("Clinical Trial Protocol"),
        "_pt_meta": trusted & pt.list.contains("Meta-Analysis"),
        "_pt_sr": trusted & pt.list.contains("Systematic Review"),
        "_pt_review": trusted & pt.list.contains("Review") & ~pt.list.contains("Systematic Review"),
        "_pt_case": trusted & pt.list.contains("Case Reports"),
        "_pt_rct": trusted & pt.list.contains("Randomized Controlled Trial"),
        "_pt_cct": trusted & (pt.list.contains("Controlled Clinical Trial") | pt.list.contains("Non-Randomized Controlled Trial")),
        "_pt_obs": trusted & pt.list.contains("Observational Study"),
    }]


def _pt(name: str) -> pl.Expr:
    """A publication type as the span of a design."""
    return tagged(pl.lit(name), "publication_types")


def design_stages(sample_size: pl.Expr, groups_hint: pl.Expr, hint_spans: list[pl.Expr]) -> list[dict[str, pl.Expr]]:
    """``design``, ``design_span`` and ``design_confidence`` from the joined design features; the
    source is the span's.

    ``sample_size`` separates case reports (1-3 people) from case series; ``groups_hint`` tells a
    controlled from a single-group study when the text gives no design words (``hint_spans``: the
    sentences it came from, first found first). A span is the sentence that showed the cue, else the
    publication type that did.
    Two stages: the first rule that holds (``_design_rule``), then what it gives, so that each
    rule's condition is evaluated once, not once for each of the three columns.
    """
    c = pl.col
    has = lambda name: c(name).is_not_null()  # noqa: E731
    when = lambda flag, name: pl.when(c(flag)).then(_pt(name))  # noqa: E731
    protocol = c("_pt_protocol") | has("_sp_protocol") & (c("_future") | c("_sp_protocol").str.starts_with(TAGS["title"]))
    meta = c("_pt_meta") | has("_sp_meta")
    sr = c("_pt_sr") | has("_sp_sr")
    randomized = c("_pt_rct") | has("_sp_rand")
    case_any = has("_sp_case") | c("_pt_case") | has("_sp_series")
    rules: list[tuple[pl.Expr, str, pl.Expr, float]] = [
        # (condition, design, span, confidence)
        (protocol, "protocol", pl.coalesce(c("_sp_protocol"), when("_pt_protocol", "Clinical Trial Protocol")), 0.85),
        (meta & (sr | c("_pt_review") | c("_sp_meta").str.contains(r"(?i)review|included|studies|trials")), "meta_analysis",
         pl.coalesce(c("_sp_meta"), when("_pt_meta", "Meta-Analysis")), 0.9),
        (meta & ~randomized, "meta_analysis", pl.coalesce(c("_sp_meta"), when("_pt_meta", "Meta-Analysis")), 0.7),
        (sr, "systematic_review", pl.coalesce(c("_sp_sr"), when("_pt_sr", "Systematic Review")), 0.85),
        (has("_sp_narr") | (c("_pt_review") & ~randomized & ~case_any), "narrative_review",
         pl.coalesce(c("_sp_narr"), when("_pt_review", "Review")), 0.6),
        (has("_sp_cadaver"), "cadaveric", c("_sp_cadaver"), 0.7),
        (has("_sp_series") | (case_any & (sample_size >= 4)), "case_series",
         pl.coalesce(c("_sp_series"), c("_sp_case"), when("_pt_case", "Case Reports")), 0.8),
        (case_any & ~randomized, "case_report", pl.coalesce(c("_sp_case"), c("_sp_series"), when("_pt_case", "Case Reports")), 0.8),
        (randomized & has("_sp_cross"), "crossover_rct", c("_sp_cross"), 0.8),
        (randomized & has("_sp_pilot") & ~has("_sp_nonrand"), "pilot_rct", c("_sp_pilot"), 0.8),
        (has("_sp_nonrand") & (groups_hint >= 2), "non_randomized_controlled", c("_sp_nonrand"), 0.75),
        (randomized & ~has("_sp_nonrand"), "rct",
         pl.coalesce(c("_sp_rand"), when("_pt_rct", "Randomized Controlled Trial")), 0.85),
        (has("_sp_nonrand") & (groups_hint == 1), "single_group_pre_post", c("_sp_nonrand"), 0.7),
        (c("_pt_cct") | has("_sp_nonrand"), "non_randomized_controlled",
         pl.coalesce(c("_sp_nonrand"), pl.when(c("_pt_cct")).then(
             pl.when(c("publication_types").list.contains("Controlled Clinical Trial"))
             .then(_pt("Controlled Clinical Trial")).otherwise(_pt("Non-Randomized Controlled Trial")))), 0.6),
        (has("_sp_cohort") | c("_pt_obs"), "cohort", pl.coalesce(c("_sp_cohort"), when("_pt_obs", "Observational Study")), 0.7),
        (has("_sp_xs"), "cross_sectional", c("_sp_xs"), 0.6),
        # one group by the absence of control words: only with a sentence that describes the people or the group
        (has("_sp_prepost") | (groups_hint == 1) & pl.coalesce(*hint_spans).is_not_null(), "single_group_pre_post",
         pl.coalesce(c("_sp_prepost"), *hint_spans), 0.55),
        ((groups_hint >= 2) & has("_sp_controlled"), "non_randomized_controlled", c("_sp_controlled"), 0.5),
    ]
    first = pl.lit(None, pl.Int32)
    for k in reversed(range(len(rules))):
        first = pl.when(rules[k][0].fill_null(False)).then(pl.lit(k, pl.Int32)).otherwise(first)
    rule = pl.col("_design_rule")
    span = pl.lit(None, pl.String)
    for k in reversed(range(len(rules))):
        span = pl.when(rule == k).then(rules[k][2]).otherwise(span)
    return [{"_design_rule": first}, {
        "design": rule.replace_strict({k: name for k, (_, name, _, _) in enumerate(rules)}, default=None, return_dtype=pl.String),
        "design_span": span,
        "design_confidence": rule.replace_strict({k: cf for k, (_, _, _, cf) in enumerate(rules)}, default=None,
                                                 return_dtype=pl.Float64),
    }]
