"""Shared text machinery: sentences with their section, and numbers written as digits or words.

Everything here builds polars expressions or lazy frames; nothing loops over records in Python.
"""

from __future__ import annotations

import polars as pl

_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_ORD_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
              "seventeenth", "eighteenth", "nineteenth"]


def _word_numbers() -> dict[str, int]:
    out: dict[str, int] = {}
    for i, w in enumerate(_UNITS, 1):
        out[w] = i
    for i, w in enumerate(_TEENS, 10):
        out[w] = i
    for t, tw in enumerate(_TENS, 2):
        out[tw] = t * 10
        out[tw[:-1] + "ieth"] = t * 10
        for u, uw in enumerate(_UNITS, 1):
            out[f"{tw}-{uw}"] = t * 10 + u
        for u, uw in enumerate(_ORD_UNITS, 1):
            out[f"{tw}-{uw}"] = t * 10 + u
    for i, w in enumerate(_ORD_UNITS, 1):
        out[w] = i
    for i, w in enumerate(_ORD_TEENS, 10):
        out[w] = i
    out["a hundred"] = out["one hundred"] = out["hundred"] = 100
    out["single"] = 1
    return out


WORD_NUMBERS = _word_numbers()

# Longest alternatives first: "seventeen" must win over "seven".
_WORD_ALT = "|".join(sorted(
    (w.replace("-", r"[\s-]") for w in WORD_NUMBERS if w not in {"single", "a hundred", "hundred"}),
    key=len, reverse=True))
_ORDINAL = set(_ORD_UNITS) | set(_ORD_TEENS)
_CARD_ALT = "|".join(sorted(
    (w.replace("-", r"[\s-]") for w, v in WORD_NUMBERS.items()
     if w not in {"single", "a hundred", "hundred"} and not (w.split("-")[-1] in _ORDINAL or w.endswith("ieth"))),
    key=len, reverse=True))
#: a cardinal or ordinal number, as digits (1,234 / 12 / 4th) or words (Forty-two / fourth)
NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?-u:\b)|\d+(?:\.\d+)?(?:st|nd|rd|th)?|(?:{_WORD_ALT}))"
#: an integer cardinal only (no decimals, no ordinals): counts of people and studies
INT = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?-u:\b)|\d+|(?:{_CARD_ALT}))"


def to_number(expr: pl.Expr) -> pl.Expr:
    """A string holding one number (digits, "1,220", "4th", "Thirty-nine", "fourth") as Float64."""
    s = expr.str.to_lowercase().str.strip_chars()
    digits = s.str.replace_all(",", "").str.replace(r"(st|nd|rd|th)$", "")
    words = s.str.replace_all(r"[\s-]+", "-").replace_strict(
        {k.replace(" ", "-"): v for k, v in WORD_NUMBERS.items()}, default=None, return_dtype=pl.Float64)
    return (pl.when(s.str.contains(r"^\d"))
            .then(digits.cast(pl.Float64, strict=False))
            .otherwise(words))


# Section labels: which part of a structured abstract a sentence sits in.
_BACKGROUND = r"^(BACKGROUND|INTRODUCTION|CONTEXT|RATIONALE|PURPOSE OF REVIEW|IMPORTANCE)"
_RESULTS = r"(RESULT|FINDING|OUTCOMES$|DATA SYNTHESIS)"
_CONCLUSION = r"(CONCLUSION|DISCUSSION|INTERPRETATION|IMPLICATION|PERSPECTIVE|SIGNIFICANCE|CLINICAL RELEVANCE)"
_METHODS = r"(METHOD|DESIGN|PARTICIPANT|PATIENT|SUBJECT|SETTING|INTERVENTION|MATERIAL|MEASURE|CASE|SELECTION|SOURCES|EXTRACTION|PROCEDURE)"
_REGISTRATION = r"(REGISTRATION|REGISTRY|TRIAL NUMBER)"

_SPLIT = "\x1e"


def sentences(base: pl.LazyFrame) -> pl.LazyFrame:
    """One row per sentence of title and abstract.

    Columns: ``_r`` (row of the input), ``_i`` (order within the record; the title is -1),
    ``src`` ("title"/"abstract"), ``label`` (section label, upper case, "" when none),
    ``kind`` (title/background/methods/results/conclusion/registration/other),
    ``last`` (the abstract's last sentence), ``s`` (the sentence) and ``l`` (it in lower case).
    """
    title = base.select(
        "_r", pl.lit(-1, pl.Int32).alias("_sec"), pl.lit("title").alias("src"), pl.lit("").alias("label"),
        pl.col("title").alias("text"))
    secs = (base.select("_r", "abstract_sections")
            .explode("abstract_sections")
            .unnest("abstract_sections")
            .select("_r", pl.col("position").cast(pl.Int32).alias("_sec"), pl.lit("abstract").alias("src"),
                    pl.col("label").fill_null("").str.to_uppercase().alias("label"), "text"))
    both = pl.concat([title, secs]).filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
    # A sentence ends at . ! ? followed by space and a capital, digit or bracket; decimals never split.
    split = (both.with_columns(
        pl.col("text").str.replace_all(r"([.!?])\s+([A-Z0-9(\[\"“])", "${1}" + _SPLIT + "${2}")
        .str.split(_SPLIT).alias("s"))
        .drop("text").explode("s")
        .with_columns(pl.col("s").str.strip_chars())
        .filter(pl.col("s") != ""))
    lab = pl.col("label")
    kind = (pl.when(pl.col("src") == "title").then(pl.lit("title"))
            .when(lab.str.contains(_REGISTRATION)).then(pl.lit("registration"))
            .when(lab.str.contains(_CONCLUSION)).then(pl.lit("conclusion"))
            .when(lab.str.contains(_RESULTS)).then(pl.lit("results"))
            .when(lab.str.contains(_BACKGROUND)).then(pl.lit("background"))
            .when(lab.str.contains(_METHODS)).then(pl.lit("methods"))
            .otherwise(pl.lit("other")))
    # In an abstract of unlabelled paragraphs, the last paragraph concludes and the one before reports.
    n_secs = pl.col("_sec").filter(pl.col("src") == "abstract").n_unique().over("_r")
    max_sec = pl.col("_sec").max().over("_r")
    unlabelled = (pl.col("label") == "") & (pl.col("src") == "abstract") & (n_secs >= 3)
    kind = (pl.when(unlabelled & (pl.col("_sec") == max_sec)).then(pl.lit("conclusion"))
            .when(unlabelled & (n_secs >= 4) & (pl.col("_sec") == max_sec - 1)).then(pl.lit("results"))
            .otherwise(kind))
    return (split.with_columns(
        pl.int_range(pl.len()).over("_r").cast(pl.Int32).alias("_i"),
        kind.alias("kind"),
        pl.col("s").str.to_lowercase().alias("l"))
        .with_columns((pl.col("_i") == pl.col("_i").max().over("_r")).alias("last"),
                      pl.col("_i").sub(1).alias("_i")))
