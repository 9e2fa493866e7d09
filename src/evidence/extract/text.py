"""Shared text machinery: sentences with their section, and numbers written as digits or words.

Everything here builds polars expressions or lazy frames; nothing loops over records in Python.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache, lru_cache

import polars as pl

_ASCII_CLASS = {"d": ("0-9", "[0-9]"), "s": ("[:space:]", "[[:space:]]"), "w": ("[:word:]", "[[:word:]]")}


@lru_cache(maxsize=1024)
def ascii_classes(pattern: str) -> str:
    """``pattern`` with its ``\\d``, ``\\s`` and ``\\w`` as ASCII classes (``[0-9]``, ``[[:space:]]``,
    ``[[:word:]]``), inside character classes too.

    For text that ``lower`` produced (ASCII whitespace only) this matches the same except on
    non-ASCII digits and letters, and the regex engine runs up to 2.5 times faster: Unicode classes
    make larger automata, especially under counted repetition (``(?:\\w+\\s+){0,3}``).
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in _ASCII_CLASS:
                out.append(_ASCII_CLASS[nxt][0 if in_class else 1])
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if not in_class and ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            # a ']' right after '[' or '[^' is a literal
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        if in_class and ch == "[" and pattern.startswith("[:", i):
            end = pattern.index(":]", i) + 2
            out.append(pattern[i:end])
            i = end
            continue
        if in_class and ch == "]":
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


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

def _digit_forms() -> dict[str, str]:
    """Number words (and their spaced forms) -> digits, ordinals keeping their suffix ("fourth" -> "4th")."""
    out: dict[str, str] = {}
    for w, v in WORD_NUMBERS.items():
        if w in {"single", "a hundred", "hundred", "one hundred"}:
            continue
        last = w.split("-")[-1]
        suffix = ""
        if last in _ORDINAL or w.endswith("ieth"):
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(v % 10, "th") if v % 100 not in (11, 12, 13) else "th"
        out[w] = f"{v}{suffix}"
        if "-" in w:
            out[w.replace("-", " ")] = f"{v}{suffix}"
    return out


_ORDINAL = set(_ORD_UNITS) | set(_ORD_TEENS)
# Aho-Corasick patterns with the delimiters around the word, so "ten" never matches inside "tendon";
# longest first, since with leftmost matching the earlier pattern wins ("twenty-four" over "twenty").
_LEFT = (" ", "(", "/", "[")
_RIGHT = (" ", ",", ".", ";", ":", ")", "]", "-", "/", "–")
DIGIT_FORMS = _digit_forms()
_WORD_TO_DIGIT = {f"{lft}{w}{rgt}": f"{lft}{d}{rgt}"
                  for w, d in sorted(DIGIT_FORMS.items(), key=lambda kv: -len(kv[0]))
                  for lft in _LEFT for rgt in _RIGHT}
# Unicode white space: ``l`` has ASCII spaces only
_SPACES = {ch: " " for ch in "\x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000"}

#: a cardinal or ordinal number in a sentence whose number words were turned into digits (see ``lower``)
NUM = ascii_classes(r"(?:\d{1,3}(?:,\d{3})+(?-u:\b)|\d+(?:\.\d+)?(?:st|nd|rd|th)?)")
#: an integer cardinal only (no decimals, no ordinals): counts of people and studies
INT = ascii_classes(r"(?:\d{1,3}(?:,\d{3})+(?-u:\b)|\d+)")


def lower(text: pl.Expr) -> pl.Expr:
    """``text`` in lower case with its number words as digits ("Forty-two" -> "42", "fourth" -> "4th")
    and its Unicode white space as plain spaces, so that patterns on it can use ASCII classes
    (``ascii_classes``).

    The rules then need only ``\\d+`` for a number: a regex alternation of some 250 number words made
    every pattern that holds a number slow to compile and to run. One Aho-Corasick pass does it.
    (``sentences`` runs the two steps in two stages: see ``_as_digits``.)
    """
    return _as_digits(_spaced(text))


def _spaced(text: pl.Expr) -> pl.Expr:
    """``text`` in lower case, its Unicode white space as plain spaces."""
    low = text.str.to_lowercase()
    # Unicode white space is replaced only in the texts with a non-ASCII character: comparing two
    # lengths is cheaper than the replacement's scan, and most sentences are ASCII. (The lengths are
    # those of ``text``, which lower case leaves ASCII if it is: polars would compute ``low`` once
    # more for each expression over it.)
    return pl.coalesce(masked(text.str.len_bytes() != text.str.len_chars(), low).str.replace_many(_SPACES), low)


# Every number word starts with one of these (a compound with its tens): a scan for them is much
# cheaper than the Aho-Corasick pass, which then reads only the few texts that have one.
_NUMBER_WORD = r"(?-u:\b)(?:" + "|".join(sorted({w for w in DIGIT_FORMS if "-" not in w and " " not in w})) + ")"


def _as_digits(spaced: pl.Expr) -> pl.Expr:
    """``spaced`` (see ``_spaced``) with its number words as digits.

    Only the texts with a number word are padded (so that one at either end has a delimiter) and
    rewritten; the others are ``spaced`` as it is. Pass a column: ``spaced`` is read several times,
    and polars computes an expression that holds a when/then (as ``_spaced`` does) once per use.
    """
    padded = pl.concat_str(pl.lit(" "), masked(spaced.str.contains(_NUMBER_WORD), spaced), pl.lit(" "))
    digits = padded.str.replace_many(_WORD_TO_DIGIT, leftmost=True).str.slice(1).str.head(-1)
    return pl.coalesce(digits, spaced)


@cache
def _lower_s() -> tuple[pl.Expr, pl.Expr]:
    # built once: the number-word table becomes a literal of some 14,000 strings on every build
    return _spaced(pl.col("s")).alias("l"), _as_digits(pl.col("l")).alias("l")


# Section labels: which part of a structured abstract a sentence sits in.
_BACKGROUND = r"^(BACKGROUND|INTRODUCTION|CONTEXT|RATIONALE|PURPOSE OF REVIEW|IMPORTANCE)"
_RESULTS = r"(RESULT|FINDING|OUTCOMES$|DATA SYNTHESIS)"
_CONCLUSION = r"(CONCLUSION|DISCUSSION|INTERPRETATION|IMPLICATION|PERSPECTIVE|SIGNIFICANCE|CLINICAL RELEVANCE)"
_METHODS = r"(METHOD|DESIGN|PARTICIPANT|PATIENT|SUBJECT|SETTING|INTERVENTION|MATERIAL|MEASURE|CASE|SELECTION|SOURCES|EXTRACTION|PROCEDURE)"
_REGISTRATION = r"(REGISTRATION|REGISTRY|TRIAL NUMBER)"

_SPLIT = "\x1e"

# Where a span comes from travels with it: every span is built as one tag character followed by the
# text, so the source of a fact is always the field its span was read from (``span_source``), however
# many rules and coalesces the span went through. Control characters never occur in PubMed text.
SOURCES = ("title", "abstract", "publication_types", "mesh_terms", "keywords", "databanks")
TAGS = {name: chr(1 + k) for k, name in enumerate(SOURCES)}


def tagged(text: pl.Expr, source: str) -> pl.Expr:
    """``text`` as a span of ``source`` (see ``span_source`` and ``span_text``)."""
    return pl.concat_str(pl.lit(TAGS[source]), text)


def span_source(span: pl.Expr) -> pl.Expr:
    """The field a tagged span was read from (null for a null span)."""
    return span.str.head(1).replace_strict({tag: name for name, tag in TAGS.items()}, default=None,
                                           return_dtype=pl.String)


def span_text(span: pl.Expr) -> pl.Expr:
    """The text of a tagged span, without its tag."""
    return span.str.slice(1)


def sentences(base: pl.LazyFrame) -> pl.LazyFrame:
    """One row per sentence of title and abstract.

    Columns: ``_r`` (row of the input), ``_i`` (order within the record; the title is -1),
    ``src`` ("title"/"abstract"), ``label`` (section label, upper case, "" when none),
    ``kind`` (title/background/methods/results/conclusion/registration/other),
    ``last`` (the abstract's last sentence), ``_first`` (the abstract's first), ``s`` (the sentence,
    tagged with its source: see ``tagged``; rules aggregate it as the span of a fact) and ``l`` (it in
    lower case, number words as digits: see ``lower``). Title and abstract are separate texts: no
    sentence runs from one into the other. Rows of one record keep the order of the text, which
    every "first sentence that ..." aggregation relies on.
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
    # the kind a label gives, read once per section rather than once per sentence
    lab = pl.col("label")
    kind = (pl.when(pl.col("src") == "title").then(pl.lit("title"))
            .when(lab.str.contains(_REGISTRATION)).then(pl.lit("registration"))
            .when(lab.str.contains(_CONCLUSION)).then(pl.lit("conclusion"))
            .when(lab.str.contains(_RESULTS)).then(pl.lit("results"))
            .when(lab.str.contains(_BACKGROUND)).then(pl.lit("background"))
            .when(lab.str.contains(_METHODS)).then(pl.lit("methods"))
            .otherwise(pl.lit("other")))
    # A sentence ends at . ! ? followed by space and a capital, digit or bracket; decimals never split.
    split = (both.with_columns(
        pl.col("text").str.replace_all(r"([.!?])\s+([A-Z0-9(\[\"“])", "${1}" + _SPLIT + "${2}")
        .str.split(_SPLIT).alias("s"), kind.alias("_kind"))
        .drop("text").explode("s")
        .with_columns(pl.col("s").str.strip_chars())
        .filter(pl.col("s") != ""))
    # In an abstract of unlabelled paragraphs, the last paragraph concludes and the one before reports.
    # (the counts are columns of their own, read by the rules below: a window in a when/then is
    # computed once per use)
    split = split.with_columns(_n_secs=pl.col("_sec").filter(pl.col("src") == "abstract").n_unique().over("_r"),
                               _max_sec=pl.col("_sec").max().over("_r"))
    n_secs, max_sec = pl.col("_n_secs"), pl.col("_max_sec")
    unlabelled = (pl.col("label") == "") & (pl.col("src") == "abstract") & (n_secs >= 3)
    kind = (pl.when(unlabelled & (pl.col("_sec") == max_sec)).then(pl.lit("conclusion"))
            .when(unlabelled & (n_secs >= 4) & (pl.col("_sec") == max_sec - 1)).then(pl.lit("results"))
            .otherwise(pl.col("_kind")))
    is_abs = pl.col("src") == "abstract"
    out = split.with_columns(pl.int_range(pl.len()).over("_r").cast(pl.Int32).alias("_i"), kind.alias("kind"),
                             _lower_s()[0],
                             pl.concat_str(pl.when(pl.col("src") == "title").then(pl.lit(TAGS["title"]))
                                           .otherwise(pl.lit(TAGS["abstract"])), pl.col("s")).alias("s"))
    return out.with_columns(
        _lower_s()[1],
        (pl.col("_i") == pl.col("_i").max().over("_r")).alias("last"),
        (is_abs & (pl.col("_i") == pl.col("_i").filter(is_abs).min().over("_r"))).alias("_first"),
        pl.col("_i").sub(1).alias("_i")).drop("_kind", "_n_secs", "_max_sec")


def masked(mask: pl.Expr, text: pl.Expr) -> pl.Expr:
    """``text`` where ``mask`` is true, else null: ``pl.when(mask).then(text)`` with an empty string
    behind every null.

    A null keeps the value it hides, and polars runs ``str.contains``, ``str.replace``,
    ``str.replace_all`` and ``str.to_lowercase`` over hidden values too: behind a plain
    ``when/then`` mask a pattern still reads every sentence, so the mask saves nothing. An empty
    string behind the null costs nothing to read (the other string functions skip nulls).
    """
    return pl.when(mask).then(pl.when(mask).then(text).otherwise(pl.lit("")))


def bare(pattern: str) -> str:
    return pattern[4:] if pattern.startswith("(?i)") else pattern


def cue_stages(col: str, cues: dict[str, str], prefix: str, common: Collection[str] = (),
               gates: dict[str, str] | None = None) -> list[dict[str, pl.Expr]]:
    """Flags ``{prefix}{name}``: does ``col`` (from ``lower``) match each cue pattern (its ``(?i)`` dropped)?

    Most sentences match none of a module's rarer cues, so one scan with the union of their patterns
    picks the sentences worth reading, and each pattern then runs on those only (the others are null).
    The cues named in ``common`` match so many sentences (a twentieth or more) that the union would
    pick most of them: they read every sentence, and stay out of the union, whose automaton they
    would make larger and slower to build. ``gates`` names, for a slow cue, a cheap pattern that
    every match of it contains: the cue then reads only the sentences that match its gate.
    """
    rare = [bare(p) for name, p in cues.items() if name not in common]
    hit = f"{prefix}_hit"
    flags = {}
    for name, p in cues.items():
        text = pl.col(col if name in common else hit)
        if gates and name in gates:
            text = masked(text.str.contains(gates[name]), text)
        flags[f"{prefix}{name}"] = text.str.contains(ascii_classes(bare(p))).fill_null(False)
    union = ascii_classes("|".join(f"(?:{p})" for p in rare))
    return [{hit: masked(pl.col(col).str.contains(union), pl.col(col))}, flags]
