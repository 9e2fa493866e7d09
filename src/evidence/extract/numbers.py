"""Counts: people randomised or enrolled (sample size), arms (groups), studies in a review."""

from __future__ import annotations

import polars as pl

from .text import INT, ascii_classes, masked

PEOPLE = (r"(?:patients|participants|subjects|individuals|people|persons|women|men|adults|athletes|volunteers"
          r"|players|runners|beneficiaries|cases|females|males|children|adolescents|soldiers|students|workers"
          r"|recruits|veterans|employees|elderly|outpatients|amateurs|footballers|dancers|sportsmen|sportswomen"
          r"|military personnel)")
_PEOPLE_WORDS = PEOPLE[3:-1]  # the alternation without its group
# "A total of 38 participants", "Thirty-nine subjects", "29 young non-athlete women", "sample size ... 58"
_TOTAL = (rf"(?:^|[^/\d.,])(?-u:\b)({INT})\s+((?:[\w-]+\s+){{0,3}}?){PEOPLE}(?-u:\b)"
          rf"|(?-u:\b)sample (?:size )?(?:of|was|were|was calculated (?:to be|as)|consisted of|included|comprised)\s+({INT})(?-u:\b)")
# "Patients with knee OA (n = 586)", "Patients (N=48)"
_OF_ENROLLED = rf"(?-u:\b)\d+ (?:of|out of) ({INT})\s+(?:\w+\s+)?(?:enrolled|randomi[sz]ed|recruited|included|allocated)"
_POOLED = rf"(?:studies|trials|rcts)\s+(?:with|including|involving|enrolling|of)\s+(?:a total of\s+)?({INT})\s+{PEOPLE}(?-u:\b)"
_N_AFTER = rf"(?-u:\b){PEOPLE}(?-u:\b)([^.;()]{{0,50}}?)\(\s*n\s*=\s*(\d+)\s*\)"
_N_EQ = r"(?-u:\b)n\s*=\s*(\d+)"
_GAP_BAD = r"group|session|week|month|year|day|time|stud|trial|(?-u:\b)of(?-u:\b)|(?-u:\b)per(?-u:\b)|visit|point"
_N_AFTER_BAD = r"group|assign|allocat|random|divid|receiv|each"
_NOT_ENROLLED = (r"completed|dropped|lost to|withdr|drop-?out|analy[sz]ed|responders|discontinu"
                 r"|excluded|followed up")
_ENROLLED = r"randomi|enrol|recruit|includ|allocat|assign|divid|particip|conducted on|sample"
_ARMS_SENT = r"randomi|allocat|assign|divid|group|arm"

_GROUPS_WORD = rf"(?-u:\b)({INT})[\s-](?:parallel[\s-]|treatment[\s-]|intervention[\s-]|study[\s-])?(?:groups?|arms?|armed)(?-u:\b)"
_GROUPS_ONE_OF = rf"(?-u:\b)(?:one|1) of ({INT}) (?:\w+\s+)?(?:interventions|groups|arms|treatments|conditions)"
_GROUPS_INTERVENTIONS = rf"(?-u:\b)({INT}) (?:\w+\s+)?(?:interventions|treatment arms|conditions) were"
_GROUPS_OR = (r"(?:randomi[sz]ed|randomly|assigned|allocated|divided)(?-u:\b)[^.]{0,60}?(?-u:\b)(?:to|into|in)(?-u:\b)"
              r"([^.]{0,80}?)(?-u:\b)or(?-u:\b)[^.]{0,60}?(?-u:\b)(?:groups?|arms?)(?-u:\b)")

_STUDIES = (rf"(?:^|[^/\d])(?-u:\b)({INT})\s+((?:[\w-]+\s+){{0,3}}?)(?:studies|trials|rcts|articles|papers|publications"
            rf"|reports)(?-u:\b)[^.;]{{0,60}}?(?-u:\b)(?:included|met|eligible|approved|retained|selected|fulfil+ed|analy[sz]ed)"
            rf"|(?-u:\b)(?:included|including|comprised|retained)\s+({INT})\s+(?:[\w-]+\s+){{0,2}}?(?:studies|trials|rcts|articles)")


_DIGIT = r"[0-9]"
# every pattern here reads ``l`` (see ``text.lower``): ASCII classes run faster
(_TOTAL, _N_AFTER, _N_EQ, _GROUPS_WORD, _GROUPS_ONE_OF, _GROUPS_INTERVENTIONS, _GROUPS_OR, _STUDIES, _OF_ENROLLED, _POOLED) = map(
    ascii_classes, (_TOTAL, _N_AFTER, _N_EQ, _GROUPS_WORD, _GROUPS_ONE_OF, _GROUPS_INTERVENTIONS, _GROUPS_OR, _STUDIES,
                    _OF_ENROLLED, _POOLED))


def to_number(count: pl.Expr) -> pl.Expr:
    """An ``INT`` match ("1,234", "12") as Float64: an ``INT`` match holds only digits and commas,
    so no whitespace or ordinal-suffix pass is needed (each a full column over all sentences)."""
    return count.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: sample size, groups and n_studies candidates (digits only: number words are digits in ``l``).

    In stages: the sentences with a digit, the pattern matches, each computed once, then the rules
    that combine them.
    """
    l = pl.col("l")
    # every count below holds a digit, so the heavy patterns run only on sentences that have one
    # (a column of its own: polars computes an expression that holds a when/then once per use)
    digits = {"_n_ld": masked(l.str.contains(_DIGIT), l)}
    ld = pl.col("_n_ld")
    has_n = pl.when(l.str.contains(r"(?-u:\b)n[[:space:]]*=")).then(l)

    def words(*gate: str) -> pl.Expr:
        """``ld`` where one of the words ``gate`` occurs: each pattern below reads only the sentences
        with a word that every match of it holds (a scan for a few words is much cheaper than it)."""
        return masked(ld.str.contains("|".join(gate)), ld)

    first = {"_n_total": words(_PEOPLE_WORDS, "sample").str.extract_groups(_TOTAL),
             "_n_after": has_n.str.extract_groups(_N_AFTER),
             "_n_eqs": has_n.str.extract_all(_N_EQ),
             "_n_st": words("studies|trials|rcts|articles|papers|publications|reports").str.extract_groups(_STUDIES),
             "_n_gw": words("group|arm").str.extract(_GROUPS_WORD, 1),
             "_n_of": words("enrolled|randomi|recruited|included|allocated").str.extract(_OF_ENROLLED, 1),
             "_n_pool": words("studies|trials|rcts").str.extract(_POOLED, 1),
             "_n_g1": words("one of|1 of").str.extract(_GROUPS_ONE_OF, 1),
             "_n_gi": words("interventions|arms|conditions").str.extract(_GROUPS_INTERVENTIONS, 1),
             "_n_gor": pl.when(l.str.contains(r"(?-u:\b)or(?-u:\b)")).then(l).str.extract(_GROUPS_OR, 1),
             # read only where a count can use them (a sentence with a digit)
             "_n_arms": ld.str.contains(_ARMS_SENT), "_n_alloc": ld.str.contains(r"randomi|allocat|assign|divid"),
             "_n_usable": ~ld.str.contains(_NOT_ENROLLED) | ld.str.contains(_ENROLLED),
             "_ctl": l.str.contains(r"(?-u:\b)(?:control group|controls|sham|placebo|versus|vs|groups|arms|randomi[sz]ed|randomly)(?-u:\b)")}
    # (the counts that several rules read are columns of their own, as ``_n_ld`` is)
    total, after, st = pl.col("_n_total"), pl.col("_n_after"), pl.col("_n_st")
    counts = {
        "_n_tn": pl.coalesce(
            pl.when(~total.struct.field("2").fill_null("").str.contains(_GAP_BAD))
            .then(to_number(total.struct.field("1"))),
            to_number(total.struct.field("3"))),
        "_n_an": pl.when(~after.struct.field("1").fill_null("").str.contains(_N_AFTER_BAD)
                         ).then(after.struct.field("2").cast(pl.Float64, strict=False)),
        "_n_stn": pl.coalesce(
            pl.when(~st.struct.field("2").fill_null("").str.contains(r"(?-u:\b)of(?-u:\b)|database|search")).then(
                to_number(st.struct.field("1"))),
            to_number(st.struct.field("3"))),
    }
    total_n, after_n = pl.col("_n_tn"), pl.col("_n_an")
    n_eq_count = pl.col("_n_eqs").list.len().fill_null(0)
    arm_sum = pl.when((n_eq_count >= 2) & after_n.is_null() & pl.col("_n_arms")).then(
        pl.col("_n_eqs").list.join(" ").str.extract_all(r"[0-9]+").cast(pl.List(pl.Float64)).list.sum())
    of_n = to_number(pl.col("_n_of"))  # "48 of 56 enrolled": the enrolled count
    cand = pl.coalesce(of_n, pl.when(pl.col("_n_usable")).then(pl.coalesce(total_n, to_number(pl.col("_n_pool")), after_n, arm_sum)))
    cand_conf = pl.when(total_n.is_not_null()).then(0.85).when(after_n.is_not_null()).then(0.8).otherwise(0.65)
    g_word, g_oneof, g_int = to_number(pl.col("_n_gw")), to_number(pl.col("_n_g1")), to_number(pl.col("_n_gi"))
    g_or = pl.col("_n_gor")
    g_or_n = pl.when(g_or.is_not_null()).then(pl.when(g_or.str.contains(",", literal=True)).then(3.0).otherwise(2.0))
    arms_n = n_eq_count.cast(pl.Float64) - pl.when(after_n.is_not_null()).then(1.0).otherwise(0.0)
    g_neq = pl.when((arms_n >= 2) & pl.col("_n_alloc")).then(arms_n)
    candidates = {"_n_cand": cand, "_n_grp": pl.coalesce(g_word, g_oneof, g_int, g_neq, g_or_n)}
    cand, grp, studies = pl.col("_n_cand"), pl.col("_n_grp"), pl.col("_n_stn")
    rules = {
        "_ss": pl.when(cand >= 1).then(cand),  # "0 patients" is no sample size (found by tests/test_fuzz.py)
        "_ss_conf": cand_conf,
        "_grp": pl.when((grp >= 1) & (grp <= 8)).then(grp),
        "_st": pl.when(studies >= 1).then(studies),
    }
    return [digits, first, counts, candidates, rules]


def _first(value: pl.Expr, mask: pl.Expr) -> pl.Expr:
    """``value`` in the first abstract sentence under ``mask``, else in the title (the title reads last here)."""
    title = pl.col("src") == "title"
    return pl.coalesce(value.filter(mask & ~title).first(), value.filter(mask & title).first())


def aggregations() -> list[pl.Expr]:
    s = pl.col("s")
    has_ss, has_grp, has_st = pl.col("_ss").is_not_null(), pl.col("_grp").is_not_null(), pl.col("_st").is_not_null()
    return [
        _first(pl.col("_ss"), has_ss).alias("_ss"), _first(pl.col("_ss_conf"), has_ss).alias("_ss_conf"),
        _first(s, has_ss).alias("_ss_span"),
        _first(pl.col("_grp"), has_grp).alias("_grp"), _first(s, has_grp).alias("_grp_span"),
        _first(pl.col("_st"), has_st).alias("_st"), _first(s, has_st).alias("_st_span"),
        pl.col("_ctl").any().alias("_controlled_words"),
    ]
