"""Counts: people randomised or enrolled (sample size), arms (groups), studies in a review."""

from __future__ import annotations

import polars as pl

from .text import INT, to_number

PEOPLE = (r"(?:patients|participants|subjects|individuals|people|persons|women|men|adults|athletes|volunteers"
          r"|players|runners|beneficiaries|cases|females|males|children|adolescents|soldiers|students|workers"
          r"|recruits|veterans|employees|elderly|outpatients|amateurs|footballers|dancers|sportsmen|sportswomen"
          r"|military personnel)")
# "A total of 38 participants", "Thirty-nine subjects", "29 young non-athlete women", "sample size ... 58"
_TOTAL = (rf"(?:^|[^/\d.,])(?-u:\b)({INT})\s+((?:[\w-]+\s+){{0,3}}?){PEOPLE}(?-u:\b)"
          rf"|(?-u:\b)sample (?:size )?(?:of|was|were|was calculated (?:to be|as)|consisted of|included|comprised)\s+({INT})(?-u:\b)")
# "Patients with knee OA (n = 586)", "Patients (N=48)"
_N_AFTER = rf"(?-u:\b){PEOPLE}(?-u:\b)([^.;()]{{0,50}}?)\(\s*n\s*=\s*(\d+)\s*\)"
_N_EQ = r"(?-u:\b)n\s*=\s*(\d+)"
_GAP_BAD = r"group|session|week|month|year|day|time|stud|trial|(?-u:\b)of(?-u:\b)|(?-u:\b)per(?-u:\b)|visit|point"
_N_AFTER_BAD = r"group|assign|allocat|random|divid|receiv|each"
_NOT_ENROLLED = (r"completed|dropped|lost to|withdr|drop-?out|analy[sz]ed|responders|discontinu"
                 r"|excluded|followed up")
_ENROLLED = r"randomi|enrol|recruit|includ|allocat|assign|divid|particip|conducted on|sample"
_ARMS_SENT = r"randomi|allocat|assign|divid|group|arm"

_GROUPS_WORD = rf"(?-u:\b)({INT})[\s-](?:parallel[\s-]|treatment[\s-]|intervention[\s-]|study[\s-])?(?:groups?|arms?|armed)(?-u:\b)"
_GROUPS_ONE_OF = rf"(?-u:\b)one of ({INT}) (?:\w+\s+)?(?:interventions|groups|arms|treatments|conditions)"
_GROUPS_INTERVENTIONS = rf"(?-u:\b)({INT}) (?:\w+\s+)?(?:interventions|treatment arms|conditions) were"
_GROUPS_OR = (r"(?:randomi[sz]ed|randomly|assigned|allocated|divided)(?-u:\b)[^.]{0,60}?(?-u:\b)(?:to|into|in)(?-u:\b)"
              r"([^.]{0,80}?)(?-u:\b)or(?-u:\b)[^.]{0,60}?(?-u:\b)(?:groups?|arms?)(?-u:\b)")

_STUDIES = (rf"(?:^|[^/\d])(?-u:\b)({INT})\s+((?:[\w-]+\s+){{0,3}}?)(?:studies|trials|rcts|articles|papers|publications"
            rf"|reports)(?-u:\b)[^.;]{{0,60}}?(?-u:\b)(?:included|met|eligible|approved|retained|selected|fulfil+ed|analy[sz]ed)"
            rf"|(?-u:\b)(?:included|including|comprised|retained)\s+({INT})\s+(?:[\w-]+\s+){{0,2}}?(?:studies|trials|rcts|articles)")


def number_features(sents: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: sample size, groups and n_studies candidates, each with its sentence."""
    l = pl.col("l")  # lower case: case-insensitive number-word matching is slow
    total = l.str.extract_groups(_TOTAL)
    total_n = pl.coalesce(
        pl.when(~total.struct.field("2").fill_null("").str.contains(_GAP_BAD))
        .then(to_number(total.struct.field("1"))),
        to_number(total.struct.field("3")))
    after = l.str.extract_groups(_N_AFTER)
    n_eq_count = l.str.count_matches(_N_EQ)
    after_n = pl.when(~after.struct.field("1").fill_null("").str.contains(_N_AFTER_BAD)
                      ).then(after.struct.field("2").cast(pl.Float64, strict=False))
    arm_sum = pl.when((n_eq_count >= 2) & after_n.is_null() & l.str.contains(_ARMS_SENT)).then(
        l.str.extract_all(_N_EQ).list.join(" ").str.extract_all(r"\d+").list.eval(pl.element().cast(pl.Float64)).list.sum())
    usable = ~l.str.contains(_NOT_ENROLLED) | l.str.contains(_ENROLLED)
    cand = pl.when(usable).then(pl.coalesce(total_n, after_n, arm_sum))
    cand_conf = pl.when(total_n.is_not_null()).then(0.85).when(after_n.is_not_null()).then(0.8).otherwise(0.65)
    g_word = to_number(l.str.extract(_GROUPS_WORD, 1))
    g_oneof = to_number(l.str.extract(_GROUPS_ONE_OF, 1))
    g_int = to_number(l.str.extract(_GROUPS_INTERVENTIONS, 1))
    g_or = l.str.extract(_GROUPS_OR, 1)
    g_or_n = pl.when(g_or.is_not_null()).then(pl.when(g_or.str.contains(",")).then(3.0).otherwise(2.0))
    arms_n = n_eq_count.cast(pl.Float64) - pl.when(after_n.is_not_null()).then(1.0).otherwise(0.0)
    g_neq = pl.when((arms_n >= 2) & l.str.contains(r"randomi|allocat|assign|divid")).then(arms_n)
    grp = pl.coalesce(g_word, g_oneof, g_int, g_neq, g_or_n)
    grp = pl.when((grp >= 1) & (grp <= 8)).then(grp)
    st = l.str.extract_groups(_STUDIES)
    studies = pl.coalesce(
        pl.when(~st.struct.field("2").fill_null("").str.contains(r"(?-u:\b)of(?-u:\b)|database|search")).then(
            to_number(st.struct.field("1"))),
        to_number(st.struct.field("3")))
    studies = pl.when(studies >= 1).then(studies)
    rank = pl.when(pl.col("src") == "title").then(1).otherwise(0)
    controlled = pl.col("l").str.contains(r"(?-u:\b)(?:control group|controls|sham|placebo|versus|vs|groups|arms|randomi[sz]ed|randomly)(?-u:\b)")
    s = (sents.with_columns(_ss=cand, _ss_conf=cand_conf, _grp=grp, _st=studies, _rank=rank, _ctl=controlled)
         .sort("_r", "_rank", "_i"))
    return s.group_by("_r").agg(
        pl.col("_ss").drop_nulls().first().alias("_ss"),
        pl.col("_ss_conf").filter(pl.col("_ss").is_not_null()).first().alias("_ss_conf"),
        pl.col("s").filter(pl.col("_ss").is_not_null()).first().alias("_ss_span"),
        pl.col("src").filter(pl.col("_ss").is_not_null()).first().alias("_ss_src"),
        pl.col("_grp").drop_nulls().first().alias("_grp"),
        pl.col("s").filter(pl.col("_grp").is_not_null()).first().alias("_grp_span"),
        pl.col("_st").drop_nulls().first().alias("_st"),
        pl.col("s").filter(pl.col("_st").is_not_null()).first().alias("_st_span"),
        pl.col("_ctl").any().alias("_controlled_words"),
    )
