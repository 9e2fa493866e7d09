"""How long the treatment lasted and the latest time point outcomes were measured, in weeks from baseline.

Every time expression ("3 months", "1, 3, and 7 days", "3- and 6-month", "weeks 4 and 6",
"at the 4th week") becomes one row; its neighbours decide whether it is a treatment length
("for 4 weeks", "6 weeks of treatment"), a follow-up point ("at 3 months", "within four weeks")
or neither ("aged 20-45 years", "every 4 weeks", "pain for at least 3 months").
"N units after the last session" is counted from baseline by adding the treatment length.
All matching runs on ``l``, the lower-cased sentence with number words as digits, and only on
abstract sentences that hold a digit (a time point always does once words are digits).
Mentions keep the order they are written in: the follow-up points are listed in text order.
"""

from __future__ import annotations

import polars as pl

from .text import NUM, ascii_classes, masked

_UNIT = r"(?<unit>hours?|hrs?|h|days?|weeks?|wks?|months?|mos?|years?|yrs?|minutes?|mins?)"
_LIST = rf"(?<nums>(?:{NUM}(?:\s*(?:-|–|,|/|&|(?-u:\b)and(?-u:\b)|(?-u:\b)or(?-u:\b)|(?-u:\b)to(?-u:\b))\s*)+)*{NUM})"
_PREFIX = (r"(?:(?-u:\b)(?<pre>every|each|for|over|during|within|lasted|lasting|duration of|history of|at least|past|aged|age"
           r"|between|since|up to|after|at|from|in|on)\s+(?:(?:the|a|an|next|first|last|further|additional"
           r"|approximately|about|mean|least|period of)\s+){0,2})?")
# "at 3 and 6 months after ..." (prefix, numbers, unit, what follows) or "week 4", "weeks 4 and 6"
# (unit, numbers, what follows): one alternation, so the mentions come out in the order they are written.
_HEAD = rf"{_PREFIX}(?<core>{_LIST}[\s-]*{_UNIT})(?-u:\b)"
_HEAD2 = (rf"(?-u:\b)(?:at |in |on |by |until )?(?<core2>(?<unit2>weeks?|months?|days?)\s+"
          rf"(?<nums2>{NUM}(?:\s*(?:,|and|&)\s*{NUM})*))(?-u:\b)")
_SUFFIX = r"[^.;,\d]{0,40}"
MENTION = rf"{_HEAD}{_SUFFIX}|{_HEAD2}{_SUFFIX}"
# The parts of a mention (prefix, numbers, unit) are read with the pattern less its suffix, and the
# suffix is the rest of the mention: a suffix may follow any head, so the pattern finds the same
# head, in half the time.
_PARTS = rf"(?<head>{_HEAD}|{_HEAD2})"

# weeks per unit (corpus convention: 1 month = 4.345 weeks, but 3, 6 and 12 months = 13, 26 and 52)
_FACTOR = {"h": 1 / 168, "d": 1 / 7, "w": 1.0, "m": 4.345, "y": 52.0, "mi": 1 / 10080}
_QUARTER = 13.0  # weeks in 3 months
_ASSESS = (r"follow|assess|measur|evaluat|record|collect|examin|re-?test|post-?test|score|outcome|baseline"
           r"|post-?(?:treatment|intervention)|stable|maintain|sustain|persist|later|after|improv|reduc|decreas"
           r"|significant|effect|differen|were taken")
_TREAT_SUFFIX = (r"^\s*(?:-\s*)?(?:long\s+)?(?:of\s+)?(?:the\s+)?(?:\w+\s+)?(?:treatment|intervention|therapy|program|programme|sessions?"
                 r"|course|training|dry needling|needling|dn(?-u:\b)|exercise|protocol|period of treatment)")
_AFTER_TREATMENT = (r"^\s*(?:-\s*)?(?:follow-?up\s+)?(?:after|following|post)[\s-]+(?:the\s+)?(?:last|final|end|completion|cessation|"
                    r"performing|treatment|intervention|therapy|programme|program|discharge|sessions?)")
_AGE = r"^\s*-?\s*(?:old|of age)"
# "8 to 16 weeks after ACL reconstruction", "3 months postoperatively": time since an event, not a follow-up
_SINCE_EVENT = (r"^\s*-?\s*(?:post-?operative(?:ly)?|after (?:\w+\s+){0,4}?(?:surgery|reconstruction|arthroplasty|replacement"
                r"|operation|injury|stroke|onset|diagnosis)(?-u:\b))")
# "6-minute walk test", "30-second chair stand": the name of a test, not a time
_TEST_NAME = r"^[\s-]*(?:walk|run|step|stair|sit|chair|stand|single|hop)"
_FREQ = (r"(?-u:\b)(once|twice|two times|three times|thrice|\d+ times)\s+(?:a|per|each|every)\s+week(?-u:\b)[^.]{0,30}?"
         r"(?-u:\b)(?:for|up to|over|,|in)\s+(?:a total of\s+)?(\d+)\s+(?:\w+\s+)?sessions")
_SINGLE = r"(?-u:\b)(?:single|one|1)\s+(?:\w+\s+)?(?:session|application|treatment)(?-u:\b)"
# every match of _SINGLE ends with one of these; it may start with "1", which a scan would find everywhere
_SINGLE_WORDS = "session|application|treatment"
_POST_TX = (r"post-?(?:treatment|intervention)|after (?:the )?(?:last|final) (?:treatment )?session|end of (?:the )?(?:treatment|intervention)"
            r"|after (?:the )?(?:treatment|intervention)(?-u:\b)|immediately after|post-?test|after last session|postintervention|after the cessation")

_WORD_FREQ = {"once": 1, "twice": 2, "thrice": 3}
_POINT_TAIL = (r"^[\s-]*(?:of\s+)?(?:follow[\s-]?ups?|post[\s-]?(?:treatment|intervention)|after (?:the )?(?:last|final|end of|completion of)"
               r"(?: the)?(?: \w+)?(?: sessions?)?)")
_ABSTRACT = pl.col("src") == "abstract"
# every pattern here reads ``l`` (see ``text.lower``): ASCII classes run faster
(MENTION, _PARTS, _ASSESS, _TREAT_SUFFIX, _AFTER_TREATMENT, _AGE, _SINCE_EVENT, _TEST_NAME, _FREQ, _SINGLE, _POST_TX, _POINT_TAIL) = map(
    ascii_classes, (MENTION, _PARTS, _ASSESS, _TREAT_SUFFIX, _AFTER_TREATMENT, _AGE, _SINCE_EVENT, _TEST_NAME, _FREQ, _SINGLE, _POST_TX,
                    _POINT_TAIL))


def weeks(n: pl.Expr, unit: pl.Expr) -> pl.Expr:
    """``n`` ``unit``s in weeks: whole quarters of months count 13 weeks each (3 months = 13,
    6 = 26, 9 = 39, 12 = 52, 24 = 104), other months 4.345 weeks."""
    quarters = unit.str.to_lowercase().str.starts_with("mo") & ((n % 3) == 0)
    return pl.when(quarters).then(n / 3 * _QUARTER).otherwise(n * _factor(unit))


def _factor(unit: pl.Expr) -> pl.Expr:
    u = unit.str.to_lowercase()
    return (pl.when(u.str.starts_with("mi")).then(_FACTOR["mi"])
            .when(u.str.starts_with("h")).then(_FACTOR["h"])
            .when(u.str.starts_with("d")).then(_FACTOR["d"])
            .when(u.str.starts_with("w")).then(_FACTOR["w"])
            .when(u.str.starts_with("m")).then(_FACTOR["m"])
            .when(u.str.starts_with("y")).then(_FACTOR["y"]))


def sentence_columns() -> list[dict[str, pl.Expr]]:
    """Per sentence: weeks of "once a week for 3 sessions", a single session, a post-treatment measurement."""
    l = pl.col("l")
    # (the frequency is a column of its own: it is read three times, and polars computes an
    # expression that holds a when/then once per use)
    first = {"_t_freq": pl.when(_ABSTRACT & l.str.contains("sessions", literal=True)).then(l).str.extract_groups(_FREQ),
             "_single": masked(_ABSTRACT & l.str.contains(_SINGLE_WORDS), l).str.contains(_SINGLE).fill_null(False),
             "_post": masked(_ABSTRACT & (pl.col("kind") != "background"), l).str.contains(_POST_TX).fill_null(False)}
    freq = pl.col("_t_freq")
    per_week = (freq.struct.field("1").replace_strict(_WORD_FREQ, default=None, return_dtype=pl.Float64)
                .fill_null(freq.struct.field("1").str.extract(r"([0-9]+)").cast(pl.Float64)))
    n_sess = freq.struct.field("2").cast(pl.Float64, strict=False)
    return [first, {"_sw": n_sess / per_week}]


def aggregations() -> list[pl.Expr]:
    s = pl.col("s")
    return [pl.col("_sw").max().alias("_sess_w"),
            s.filter(pl.col("_sw").is_not_null()).first().alias("_sess_span"),
            pl.col("_single").any().alias("_single"),
            pl.col("_post").any().alias("_post"),
            s.filter(pl.col("_single")).first().alias("_single_span"),
            s.filter(pl.col("_post")).first().alias("_post_span")]


def _first_largest(value: pl.Expr, weeks: pl.Expr, mask: pl.Expr) -> pl.Expr:
    """``value`` at the largest ``weeks`` under ``mask``; the earliest in the text on ties (stable sort)."""
    return value.filter(mask).sort_by(weeks.filter(mask), descending=True, maintain_order=True).first()


def mention_features(sents: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: treatment length and follow-up candidates from every time expression (one row each)."""
    l = pl.col("l")
    cand = sents.filter(_ABSTRACT & l.str.contains(r"[0-9]")).select("_r", "s", "l", "kind")
    m = (cand.with_columns(m=l.str.extract_all(MENTION)).explode("m").filter(pl.col("m").is_not_null())
         .with_columns(g=pl.col("m").str.extract_groups(_PARTS)))
    g = pl.col("g").struct.field
    m = m.select(
        "_r", "s", "l", "kind",
        pl.when(g("core2").is_not_null()).then(pl.lit("at")).otherwise(g("pre").fill_null("")).alias("prefix"),
        pl.coalesce(g("nums"), g("nums2")).alias("nums"),
        pl.coalesce(g("unit"), g("unit2")).alias("unit"),
        pl.col("m").str.slice(g("head").str.len_chars()).alias("suffix"),
        pl.coalesce(g("core"), g("core2")).alias("core"))
    # the largest number of each mention ("1, 3, and 7 days" -> 7)
    # (list casts, not list.eval: an expression evaluated per list is slow on many short lists)
    n = (pl.col("nums").str.replace_all(r"([0-9]),([0-9]{3})", "${1}${2}").str.extract_all(r"[0-9]+(?:\.[0-9]+)?")
         .cast(pl.List(pl.Float64)).list.max())
    suffix, prefix = pl.col("suffix"), pl.col("prefix")
    lasting = l.str.contains(r"stable|maintain|sustain|persist|remained|last(?:ed|ing)? for")
    excluded = (suffix.str.contains(_AGE) | suffix.str.contains(_SINCE_EVENT) | suffix.str.contains(_TEST_NAME) | prefix.is_in(["every", "each", "history of", "duration of", "at least",
                                                           "past", "aged", "age", "since", "between"])
                | prefix.is_in(["in", "from"]) & ~suffix.str.contains(r"follow|after|later|post")
                | l.str.contains(r"symptom duration|duration of (?:symptoms|pain|complaint)|history of")
                | pl.col("unit").str.starts_with("y") & ~l.str.contains(r"follow|after|later|stable|maintain"))
    complaint = l.str.contains(r"experienc|suffer|symptom|complain|history|duration of|pain for|injur|diagnos")
    # (exclusion and treatment are columns of their own: the rules below read each more than once)
    m = m.with_columns(excluded=excluded)
    excluded = pl.col("excluded")
    # "1 month after treatment" is a time point, not a treatment length
    treat = (~excluded & ~suffix.str.contains(ascii_classes(r"^\s*-?\s*(?:of\s+)?follow|^\s*(?:after|following|post)(?-u:\b)")) & ~lasting & ~complaint
             & (prefix.is_in(["for", "over", "during", "lasted", "lasting", "up to"])
                | (suffix.str.contains(_TREAT_SUFFIX) & ~prefix.is_in(["at", "after", "within", "on"]))))
    m = m.with_columns(treat=treat)
    fu = (~excluded & ~pl.col("treat") & (pl.col("kind") != "background")
          & (l.str.contains(_ASSESS) | suffix.str.contains(r"follow|after|later|post")))
    add = (suffix.str.contains(_AFTER_TREATMENT)
           & ~suffix.str.contains(r"after (?:the )?(?:first|initial|start|beginning|baseline)"))
    point = pl.concat_str(pl.col("core"), suffix.str.extract(_POINT_TAIL, 0).fill_null("")).str.strip_chars(" ,;-")
    # "0 weeks" names no length of time (a baseline written as a time point): not a candidate
    m = m.with_columns(w=pl.when(n > 0).then(weeks(n, pl.col("unit"))), fu=fu, add=add, point=point)
    w, s = pl.col("w"), pl.col("s")
    is_tx = pl.col("treat") & w.is_not_null()
    plain = pl.col("fu") & ~pl.col("add") & w.is_not_null()
    after = pl.col("fu") & pl.col("add") & w.is_not_null()
    # explode keeps the order of the text, and a group keeps the order of its rows: no sort needed
    return m.group_by("_r").agg(
        w.filter(is_tx).max().alias("_tx_w"), _first_largest(s, w, is_tx).alias("_tx_span"),
        w.filter(plain).max().alias("_fu_plain"), _first_largest(s, w, plain).alias("_fu_plain_span"),
        w.filter(after).max().alias("_fu_after"), _first_largest(s, w, after).alias("_fu_after_span"),
        pl.col("point").filter(pl.col("fu") & w.is_not_null()).unique(maintain_order=True).alias("_fu_points"),
        s.filter(pl.col("fu") & w.is_not_null()).first().alias("_fu_points_span"))


def finish() -> list[dict[str, pl.Expr]]:
    """Treatment length and latest follow-up per record, once sentence and mention features are joined.

    "N units after the last session" counts from baseline: the treatment length is added.
    """
    c = pl.col
    tx = {"_tx": pl.coalesce(pl.max_horizontal("_tx_w", "_sess_w"), pl.when(c("_single")).then(0.0)),
          "_tx_span": pl.coalesce("_tx_span", "_sess_span", "_single_span")}
    after = c("_fu_after") + c("_tx").fill_null(0.0)
    fu_w = pl.max_horizontal(c("_fu_plain"), after)
    fu_span = pl.when(after > c("_fu_plain").fill_null(-1.0)).then(c("_fu_after_span")).otherwise(c("_fu_plain_span"))
    fu = {"_fu": pl.coalesce(pl.max_horizontal(fu_w, pl.when(c("_post")).then(c("_tx"))),
                             pl.when(c("_post") & c("_single")).then(0.0)),
          "_fu_span": pl.when(fu_w.is_null() | (c("_post") & (c("_tx") > fu_w)))
          .then(pl.coalesce("_post_span", fu_span)).otherwise(fu_span)}
    return [tx, fu]
