"""How long the treatment lasted and the latest time point outcomes were measured, in weeks from baseline.

Every time expression ("3 months", "1, 3, and 7 days", "3- and 6-month", "weeks 4 and 6",
"at the 4th week") becomes one row; its neighbours decide whether it is a treatment length
("for 4 weeks", "6 weeks of treatment"), a follow-up point ("at 3 months", "within four weeks")
or neither ("aged 20-45 years", "every 4 weeks", "pain for at least 3 months").
"N units after the last session" is counted from baseline by adding the treatment length.
All matching runs on the lower-cased sentence (``l``): case-insensitive matching of the
number-word alternations is many times slower.
"""

from __future__ import annotations

import polars as pl

from .text import NUM, to_number

_UNIT = r"(hours?|hrs?|h|days?|weeks?|wks?|months?|mos?|years?|yrs?|minutes?|mins?)"
_LIST = rf"((?:{NUM}(?:\s*(?:-|–|,|/|&|(?-u:\b)and(?-u:\b)|(?-u:\b)or(?-u:\b)|(?-u:\b)to(?-u:\b))\s*)+)*{NUM})"
_PREFIX = (r"(?:(?-u:\b)(every|each|for|over|during|within|lasted|lasting|duration of|history of|at least|past|aged|age"
           r"|between|since|up to|after|at|from|in|on)\s+(?:(?:the|a|an|next|first|last|further|additional"
           r"|approximately|about|mean|least|period of)\s+){0,2})?")
MENTION = rf"{_PREFIX}{_LIST}[\s-]*{_UNIT}(?-u:\b)([^.;,\d]{{0,40}})"
# "week 4", "weeks 4 and 6", "week eight"
MENTION_AFTER = rf"(?-u:\b)(?:at |in |on |by |until )?(weeks?|months?|days?)\s+({NUM}(?:\s*(?:,|and|&)\s*{NUM})*)(?-u:\b)([^.;,\d]{{0,40}})"

_FACTOR = {"h": 1 / 168, "d": 1 / 7, "w": 1.0, "m": 4.345, "y": 52.0, "mi": 1 / 10080}
_ASSESS = (r"follow|assess|measur|evaluat|record|collect|examin|re-?test|post-?test|score|outcome|baseline"
           r"|post-?(?:treatment|intervention)|stable|maintain|sustain|persist|later|after|improv|reduc|decreas"
           r"|significant|effect|differen|were taken")
_TREAT_SUFFIX = (r"^\s*(?:-\s*)?(?:long\s+)?(?:of\s+)?(?:the\s+)?(?:\w+\s+)?(?:treatment|intervention|therapy|program|programme|sessions?"
                 r"|course|training|dry needling|needling|dn(?-u:\b)|exercise|protocol|period of treatment)")
_AFTER_TREATMENT = (r"^\s*(?:-\s*)?(?:follow-?up\s+)?(?:after|following|post)[\s-]+(?:the\s+)?(?:last|final|end|completion|cessation|"
                    r"performing|treatment|intervention|therapy|programme|program|discharge|sessions?)")
_AGE = r"^\s*-?\s*(?:old|of age)"
_FREQ = (r"(?-u:\b)(once|twice|two times|three times|thrice|\d+ times)\s+(?:a|per|each|every)\s+week(?-u:\b)[^.]{0,30}?"
         r"(?-u:\b)(?:for|up to|over|,|in)\s+(?:a total of\s+)?(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|sixteen|twenty)\s+(?:\w+\s+)?sessions")
_SINGLE = r"(?-u:\b)(?:single|one)\s+(?:\w+\s+)?(?:session|application|treatment)(?-u:\b)|(?-u:\b)one session(?-u:\b)"
_POST_TX = (r"post-?(?:treatment|intervention)|after (?:the )?(?:last|final) (?:treatment )?session|end of (?:the )?(?:treatment|intervention)"
            r"|after (?:the )?(?:treatment|intervention)(?-u:\b)|immediately after|post-?test|after last session|postintervention|after the cessation")

_WORD_FREQ = {"once": 1, "twice": 2, "two times": 2, "three times": 3, "thrice": 3}
_SMALL = {w: i for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                      "ten", "eleven", "twelve"], 1)} | {"fifteen": 15, "sixteen": 16, "twenty": 20}


def _factor(unit: pl.Expr) -> pl.Expr:
    u = unit.str.to_lowercase()
    return (pl.when(u.str.starts_with("mi")).then(_FACTOR["mi"])
            .when(u.str.starts_with("h")).then(_FACTOR["h"])
            .when(u.str.starts_with("d")).then(_FACTOR["d"])
            .when(u.str.starts_with("w")).then(_FACTOR["w"])
            .when(u.str.starts_with("m")).then(_FACTOR["m"])
            .when(u.str.starts_with("y")).then(_FACTOR["y"]))


def timing_features(sents: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: treatment length, latest follow-up (weeks) and the follow-up points as written."""
    s = sents.filter(pl.col("src") == "abstract").select("_r", "_i", "s", "l", "kind")
    m1 = (s.with_columns(m=pl.col("l").str.extract_all(MENTION)).explode("m").filter(pl.col("m").is_not_null())
          .with_columns(g=pl.col("m").str.extract_groups(MENTION))
          .select("_r", "_i", "s", "l", "kind", "m",
                  pl.col("g").struct.field("1").fill_null("").str.to_lowercase().alias("prefix"),
                  pl.col("g").struct.field("2").alias("nums"),
                  pl.col("g").struct.field("3").alias("unit"),
                  pl.col("g").struct.field("4").fill_null("").alias("suffix")))
    m2 = (s.with_columns(m=pl.col("l").str.extract_all(MENTION_AFTER)).explode("m").filter(pl.col("m").is_not_null())
          .with_columns(g=pl.col("m").str.extract_groups(MENTION_AFTER))
          .select("_r", "_i", "s", "l", "kind", "m", pl.lit("at").alias("prefix"),
                  pl.col("g").struct.field("2").alias("nums"),
                  pl.col("g").struct.field("1").alias("unit"),
                  pl.col("g").struct.field("3").fill_null("").alias("suffix")))
    m = pl.concat([m1, m2]).with_row_index("_mid")
    # the largest number of each mention ("1, 3, and 7 days" -> 7), one row per number
    nmax = (m.select("_mid", pl.col("nums").str.extract_all(NUM).alias("x")).explode("x")
            .with_columns(to_number(pl.col("x")).alias("x")).group_by("_mid").agg(pl.col("x").max().alias("n")))
    m = m.join(nmax, on="_mid", how="left")
    suffix, prefix = pl.col("suffix"), pl.col("prefix")
    lasting = pl.col("l").str.contains(r"stable|maintain|sustain|persist|remained|last(?:ed|ing)? for")
    excluded = (suffix.str.contains(_AGE) | prefix.is_in(["every", "each", "history of", "duration of", "at least",
                                                           "past", "aged", "age", "since", "between"])
                | prefix.is_in(["in", "from"]) & ~suffix.str.contains(r"follow|after|later|post")
                | pl.col("l").str.contains(r"symptom duration|duration of (?:symptoms|pain|complaint)|history of")
                | pl.col("unit").str.to_lowercase().str.starts_with("y") & ~pl.col("l").str.contains(r"follow|after|later|stable|maintain"))
    complaint = pl.col("l").str.contains(r"experienc|suffer|symptom|complain|history|duration of|pain for|injur|diagnos")
    treat = (~excluded & ~suffix.str.contains(r"^\s*-?\s*(?:of\s+)?follow") & ~lasting & ~complaint
             & (prefix.is_in(["for", "over", "during", "lasted", "lasting", "up to"])
                | (suffix.str.contains(_TREAT_SUFFIX) & ~prefix.is_in(["at", "after", "within", "on"]))))
    fu = (~excluded & ~treat & (pl.col("kind") != "background")
          & (pl.col("l").str.contains(_ASSESS) | suffix.str.contains(r"follow|after|later|post")))
    weeks = pl.col("n") * _factor(pl.col("unit"))
    m = m.with_columns(w=weeks, treat=treat, fu=fu,
                       add=suffix.str.contains(_AFTER_TREATMENT) & ~suffix.str.contains(r"after (?:the )?(?:first|initial|start|beginning|baseline)"))
    per_treat = m.filter(pl.col("treat") & pl.col("w").is_not_null()).group_by("_r").agg(
        pl.col("w").max().alias("_tx_w"), pl.col("s").sort_by("w", descending=True).first().alias("_tx_span"))
    # frequency x sessions ("once a week for 3 sessions"), single sessions, "two days of dry needling"
    freq = pl.col("l").str.extract_groups(_FREQ)
    per_week = (freq.struct.field("1").str.to_lowercase().replace_strict(_WORD_FREQ, default=None, return_dtype=pl.Float64)
                .fill_null(freq.struct.field("1").str.extract(r"(\d+)").cast(pl.Float64)))
    n_sess = freq.struct.field("2").str.to_lowercase().replace_strict(_SMALL, default=None, return_dtype=pl.Float64).fill_null(
        freq.struct.field("2").cast(pl.Float64, strict=False))
    sess = s.with_columns(_sw=n_sess / per_week, _single=pl.col("l").str.contains(_SINGLE),
                          _post=pl.col("l").str.contains(_POST_TX) & (pl.col("kind") != "background")
                          ).group_by("_r").agg(
        pl.col("_sw").max().alias("_sess_w"),
        pl.col("s").filter(pl.col("_sw").is_not_null()).first().alias("_sess_span"),
        pl.col("_single").any().alias("_single"),
        pl.col("_post").any().alias("_post"),
        pl.col("s").filter(pl.col("_single")).first().alias("_single_span"),
        pl.col("s").filter(pl.col("_post")).first().alias("_post_span"))
    tx = sess.join(per_treat, on="_r", how="full", coalesce=True).with_columns(
        pl.coalesce(pl.max_horizontal("_tx_w", "_sess_w"),
                    pl.when(pl.col("_single")).then(0.0)).alias("_tx"),
        pl.coalesce("_tx_span", "_sess_span", "_single_span").alias("_tx_span"))
    fu_rows = m.filter(pl.col("fu") & pl.col("w").is_not_null()).join(tx.select("_r", "_tx"), on="_r", how="left").with_columns(
        (pl.col("w") + pl.when(pl.col("add")).then(pl.col("_tx").fill_null(0.0)).otherwise(0.0)).alias("w2"))
    fu_rows = fu_rows.with_columns(
        pl.col("m").str.replace(r"^(?:every|each|for|over|during|within|at|after|in|on|from|up to)\s+", "")
        .str.replace(r"[\s,;]+$", "").alias("m"))
    per_fu = fu_rows.sort("_r", "_i").group_by("_r").agg(
        pl.col("w2").max().alias("_fu_w"),
        pl.col("s").sort_by("w2", descending=True).first().alias("_fu_span"),
        pl.col("m").unique(maintain_order=True).alias("_fu_points"))
    return tx.join(per_fu, on="_r", how="full", coalesce=True).with_columns(
        pl.coalesce(
            pl.max_horizontal("_fu_w", pl.when(pl.col("_post")).then(pl.col("_tx"))),
            pl.when(pl.col("_post") & pl.col("_single")).then(0.0)).alias("_fu"),
        pl.when(pl.col("_fu_w").is_null() | (pl.col("_post") & (pl.col("_tx") > pl.col("_fu_w"))))
        .then(pl.coalesce("_post_span", "_fu_span")).otherwise(pl.col("_fu_span")).alias("_fu_span"))
