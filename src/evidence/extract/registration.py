"""Trial and review registry ids, from the abstract text and PubMed's DataBank list."""

from __future__ import annotations

import polars as pl

_REG_BODY = (r"(?-u:\b)(NCT\s?\d{8}|ISRCTN\s?\d{8}|ACTRN\s?\d{14}|IRCT\s?\d{6,}N\d+|IRCT\d{8,}|ChiCTR[-A-Z]*\d{6,}"
            r"|CRD\s?\d{11}|CRD\s?\d{8,}|DRKS\s?\d{8}|CTRI/\d{4}/\d{2,3}/\d{4,}|PACTR\s?\d{12,}|JPRN-\w+"
            r"|UMIN\s?\d{9}|KCT\s?\d{7}|TCTR\s?\d{11}|NTR\s?\d{3,5}|RBR-\w{6,}|EUCTR[\d-]+|ANZCTR\w*\d{8,}"
            r"|NL\d{4,}|SLCTR/\d{4}/\d{3})(?-u:\b)")
REGISTRY = "(?i)" + _REG_BODY


def registration_features(base: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: the first registry id in the abstract (or title), else the first DataBank accession."""
    doc = pl.concat_str([pl.col("abstract").fill_null(""), pl.col("title").fill_null("")], separator=" ")
    text_id = doc.str.extract(REGISTRY, 1).str.replace_all(r"\s", "")
    banks = pl.col("registry_ids").fill_null([])
    bank_id = banks.list.eval(pl.element().filter(pl.element().str.contains(REGISTRY))).list.first()
    # the sentence that names the id
    span = doc.str.extract(r"(?i)([^.]*?" + _REG_BODY + r"[^.]*\.?)", 1).str.strip_chars()
    return base.select(
        "_r",
        pl.coalesce(text_id, bank_id).alias("registration"),
        pl.when(text_id.is_not_null()).then(pl.lit("abstract")).when(bank_id.is_not_null()).then(pl.lit("databanks"))
        .alias("registration_source"),
        pl.when(text_id.is_not_null()).then(span).when(bank_id.is_not_null()).then(bank_id).alias("registration_span"),
        pl.when(text_id.is_not_null()).then(0.95).when(bank_id.is_not_null()).then(0.99).alias("registration_confidence"),
    )
