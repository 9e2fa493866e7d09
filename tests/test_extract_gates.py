"""The cheap scans that spare a slow pattern most texts: each must find every text the pattern matches.

A gate (a cheap pattern, a length test) decides which texts a slow pattern reads; a text it turns
away must be one the pattern does not match, or the facts would change. Each test checks a gate
against the pattern on generated texts made of the pattern's own words.
"""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st

from evidence.extract import comparator, design, outcomes, relevance, results, text, timing
from evidence.extract.text import ascii_classes, bare, lower, masked

# words and marks the patterns below are made of, and some that they are not
WORDS = ("dry needling", "intramuscular", "electrical", "stimulation", "acupuncture", "electro-acupuncture", "electrolysis",
         "percutaneous", "needle", "ultrasound-guided", "trigger point", "and", "or", "the", "a", "of", "to", "into", "in",
         "two", "2", "3", "4", "1", "one", "single", "groups", "group", "arms", "arm", "control group", "comparison group",
         "versus", "vs.", "vs", "compared with", "compared to", "session", "sessions", "application", "treatment",
         "randomized", "randomised", "randomly", "assigned", "allocated", "divided", "either", "sham", "placebo",
         "exercise", "alone", "only", "plus", "with", "patients", "received", "week", "weeks",
         "randomly assigned to", "were allocated into", "divided in", "1 session", "single treatment", "one application",
         "dry needling or sham", "exercise or", "or the", "groups.", "pain", "pain intensity", "reduced", "on pain", "in pain",
         "vas", "nprs", "numeric rating", "visual analog", "was measured")
MARKS = (" ", " ", " ", " ", " ", ", ", ". ", "-", "(", ")", "; ")


@st.composite
def texts(draw) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(MARKS)), min_size=1, max_size=14))
    return "".join(w + m for w, m in parts).strip()


def _never_turned_away(texts: list[str], pattern: str, gate: str) -> None:
    t = pl.col("t")
    out = pl.DataFrame({"t": texts}).select(hit=t.str.contains(pattern), gate=t.str.contains(gate))
    assert not out.filter(pl.col("hit") & ~pl.col("gate")).height


GATES = [  # (pattern, gate), as the modules pair them
    (ascii_classes(relevance._TECHNIQUE), relevance._TECHNIQUE_WORD),
    (ascii_classes(bare(design.CONTROLLED)), design._CONTROLLED_WORDS),
    (timing._SINGLE, timing._SINGLE_WORDS),
    (ascii_classes(dict(outcomes.DOMAINS)["pain"]), outcomes._PAIN_WORDS),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts(), min_size=1, max_size=40))
def test_gates_keep_every_match(batch):
    for pattern, gate in GATES:
        _never_turned_away(batch, pattern, gate)


def test_every_number_word_starts_with_a_gate_word():
    # every Aho-Corasick pattern is a delimiter, a number word and a delimiter (``text._WORD_TO_DIGIT``);
    # the gate reads the text before the space that pads it, so a number word may also start it
    words = [f"{left}{word} " for word in text.DIGIT_FORMS for left in (*text._LEFT, "")]
    assert pl.Series(words).str.contains(text._NUMBER_WORD).all()


def _lower_in_one_pass(t: pl.Expr) -> pl.Expr:
    """``lower`` without its gates: every text through both replacements."""
    padded = pl.concat_str(pl.lit(" "), t.str.to_lowercase().str.replace_many(text._SPACES), pl.lit(" "))
    return padded.str.replace_many(text._WORD_TO_DIGIT, leftmost=True).str.slice(1).str.head(-1)


NUMBERISH = st.lists(st.sampled_from(["one", "Two", "twenty", "-", "four", "th", "first", "ten", "don", " ", " ", "(", "/", "[",
                                      ",", ".", "–", "\u00a0", "\u2009", "\u212a", "İ", "a", "é", "\x00"]), max_size=30).map("".join)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(NUMBERISH, st.none()), min_size=1, max_size=60))
def test_lower_reads_like_one_pass(batch):
    df = pl.DataFrame({"t": batch}, schema={"t": pl.String})
    out = df.select(gated=lower(pl.col("t")), plain=_lower_in_one_pass(pl.col("t")))
    assert out["gated"].to_list() == out["plain"].to_list()


def test_mention_parts_are_the_mention_groups():
    # the groups of the whole mention pattern, suffix included, and those read with _PARTS
    whole = ascii_classes(rf"{timing._HEAD}(?<suf>{timing._SUFFIX})|{timing._HEAD2}(?<suf2>{timing._SUFFIX})")
    sentences = ["at 3 and 6 months after the last session", "for 4 weeks of treatment", "weeks 4 and 6 later on",
                 "aged 20-45 years", "every 2 weeks", "1, 3, and 7 days post-intervention", "week 12", "in 3- and 6-month",
                 "at 1,200 hours", "within 2 weeks: pain", "over the first 2 months of follow-up", "until weeks 2, 4 & 8 x"]
    m = (pl.DataFrame({"l": sentences}).select(m=pl.col("l").str.extract_all(timing.MENTION)).explode("m")
         .filter(pl.col("m").is_not_null()))
    a = m.select(g=pl.col("m").str.extract_groups(whole)).unnest("g")
    b = m.select("m", g=pl.col("m").str.extract_groups(timing._PARTS)).unnest("g")
    for name in ("pre", "core", "nums", "unit", "core2", "unit2", "nums2"):
        assert a[name].to_list() == b[name].to_list(), name
    assert (a.select(pl.coalesce("suf", "suf2").fill_null("")).to_series().to_list()
            == b.select(pl.col("m").str.slice(pl.col("head").str.len_chars())).to_series().to_list())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(texts(), st.sampled_from(["methods", "results", "conclusion", "other"])), min_size=1, max_size=30))
def test_comparator_reads_dependent_cues_where_they_count(batch):
    # the kinds of control arm, as when every cue reads every sentence
    frame = pl.DataFrame({"l": [t.lower() for t, _ in batch], "kind": [k for _, k in batch]})
    stages = comparator.sentence_columns()
    got = frame.lazy()
    for cols in stages:
        got = got.with_columns(**cols)
    got = got.select(comparator._KINDS).collect()
    t, h = masked(pl.col("kind") != "background", pl.col("l")), pl.col
    cue = lambda p: t.str.contains(ascii_classes(bare(p))).fill_null(False)  # noqa: E731
    described = ~pl.col("kind").is_in(["results", "conclusion"])
    flags = frame.with_columns(
        sham=cue(comparator.SHAM), placebo=cue(comparator.PLACEBO), none=cue(comparator.NO_TREATMENT),
        active=cue(comparator.ACTIVE), coint=cue(comparator.COINTERVENTION), what=cue(comparator._COINT_WHAT),
        compare=cue(comparator._COMPARE), dn=cue(comparator._DN), versus=cue(comparator._VERSUS),
        pdev=cue(comparator._PLACEBO_DEVICE), alone=cue(comparator._ALONE),
        either=masked(t.str.contains(r"[[:space:]]or[[:space:]]"), t).str.contains(ascii_classes(bare(comparator._EITHER))).fill_null(False))
    want = flags.select(
        _c_sham=h("sham"), _c_placebo=h("placebo") & ~h("sham"), _c_none=h("none"),
        _c_active=described & ~h("pdev") & (h("active") & h("compare") & ~h("coint") | h("either") & ~h("alone")),
        _c_coint=h("coint") & h("what") & ~(described & h("either") & ~h("alone")),
        _c_compare=h("versus") & h("dn"))
    assert got.equals(want)


RESULT_WORDS = ("dry needling", "was", "were", "more effective than", "less effective than", "the control group", "shockwave",
                "showed", "greater", "better", "improvement", "no significant difference", "not different", "similar",
                "improved", "reduced pain", "in favour of the sham", "inferior to", "non-inferior", "both groups", "however",
                "but", "whereas", "that was not maintained", "without any effect", "significantly", "sham", "only", "effective",
                "superior", "no", "difference", "at baseline", "needed")


@st.composite
def results_sentences(draw) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(RESULT_WORDS), st.sampled_from((" ", " ", ", ", "; ", " ; "))),
                          min_size=1, max_size=12))
    return "".join(w + m for w, m in parts).strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(results_sentences(), min_size=1, max_size=40))
def test_results_blank_clauses_only_where_the_sentence_flags_them(batch):
    # ``_x_fav`` as when every sentence with a match of FAVOURS goes through every removal
    frame = pl.DataFrame({"l": batch}).with_columns(kind=pl.lit("results"), src=pl.lit("abstract"), last=pl.lit(False))
    got = frame.lazy()
    for cols in results.sentence_columns():
        got = got.with_columns(**cols)
    got = got.collect()
    clean = pl.col("_x_clean")
    want = got.select(masked(clean.str.contains(results.FAVOURS), clean).str.replace_all(results._COMP_WINS, " ; ")
                      .str.replace_all(r"[^;]*(?:" + results.NO_DIFF + r")[^;]*", " ")
                      .str.replace_all(r"[^;]*(?:" + results.FAVOURS_COMPARATOR + r")[^;]*", " ")
                      .str.contains(results.FAVOURS).fill_null(False).alias("_x_fav"))
    assert got["_x_fav"].to_list() == want["_x_fav"].to_list()
