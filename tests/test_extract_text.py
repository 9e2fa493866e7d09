"""Shared text machinery: ASCII classes in patterns over ``l``, white space and number words in ``l``."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from evidence.extract import results, timing
from evidence.extract.text import ascii_classes, lower
from test_extract_helpers import extract_table


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?:\w+\s+){0,3}", r"(?:[[:word:]]+[[:space:]]+){0,3}"),
    (r"[^/\d.,]", r"[^/0-9.,]"),
    (r"[\s-]+\(\s*n\s*=\s*(\d+)\)", r"[[:space:]-]+\([[:space:]]*n[[:space:]]*=[[:space:]]*([0-9]+)\)"),
    (r"[\]\s]", r"[\][:space:]]"),
    (r"a\\d\.", r"a\\d\."),  # an escaped backslash, then a letter
    (r"[[:space:]]\b", r"[[:space:]]\b"),  # already ASCII: unchanged
])
def test_ascii_classes(pattern, expected):
    assert ascii_classes(pattern) == expected
    assert ascii_classes(expected) == expected


def test_lower_gives_ascii_spaces_and_digits():
    out = pl.select(lower(pl.lit("At\u00a0Three\u2009months, twenty-four\u202fWeeks")).alias("l")).item()
    assert out == "at 3 months, 24 weeks"


def test_unicode_spaces_are_read_like_spaces():
    rows = extract_table({"nbsp": {"title": "Dry needling for knee osteoarthritis",
                                   "sections": [("METHODS", "Pain was assessed at 3\u00a0months and at 6\u2009months.")]}})
    assert rows["nbsp"]["max_follow_up_weeks"] == 26.0


ASCII_TEXT = st.text(st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789 .,;-()=<")), max_size=80)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(ASCII_TEXT, min_size=1, max_size=20))
def test_ascii_classes_match_the_same_on_ascii_text(texts):
    frame = pl.DataFrame({"t": texts})
    for pattern in (results.AE_SOME, results.FAVOURS, timing.MENTION, r"(?:\w+\s+){0,3}\d+"):
        unicode = pattern.replace("[[:space:]]", r"\s").replace("[[:word:]]", r"\w").replace("[0-9]", r"\d")
        got = frame.select(pl.col("t").str.extract_all(ascii_classes(pattern)))
        want = frame.select(pl.col("t").str.extract_all(unicode))
        assert got.equals(want), pattern
