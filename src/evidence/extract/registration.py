"""Trial and review registry ids, from the abstract text and PubMed's DataBank list."""

from __future__ import annotations

import polars as pl

# ASCII classes only: a Unicode \w{6,} made this pattern slow to compile on every call
_REG_BODY = (r"(?-u:\b)(NCT ?[0-9]{8}|ISRCTN ?[0-9]{8}|ACTRN ?[0-9]{14}|IRCT ?[0-9]{6,}N[0-9]+|IRCT[0-9]{8,}|ChiCTR[-A-Z]*[0-9]{6,}"
             r"|CRD ?[0-9]{8,}|DRKS ?[0-9]{8}|CTRI/[0-9]{4}/[0-9]{2,3}/[0-9]{4,}|PACTR ?[0-9]{12,}|JPRN-[A-Za-z0-9]+"
             r"|UMIN ?[0-9]{9}|KCT ?[0-9]{7}|TCTR ?[0-9]{11}|NTR ?[0-9]{3,5}|RBR-[A-Za-z0-9]{6,}|EUCTR[0-9-]+|ANZCTR[A-Za-z]*[0-9]{8,}"
             r"|NL[0-9]{4,}|SLCTR/[0-9]{4}/[0-9]{3})(?-u:\b)")
REGISTRY = "(?i)" + _REG_BODY


def record_columns() -> dict[str, pl.Expr]:
    """Per record: the first registry id in the abstract (or title), else the first DataBank accession."""
    doc = pl.concat_str([pl.col("abstract").fill_null(""), pl.col("title").fill_null("")], separator=" ")
    # every id holds a run of digits; the id patterns run only on the few records that have one
    doc = pl.when(doc.str.contains(r"\d{3}")).then(doc)
    text_id = doc.str.extract(REGISTRY, 1).str.replace_all(" ", "", literal=True)
    banks = pl.col("registry_ids").fill_null([])
    bank_id = banks.list.join(" ").str.extract(REGISTRY, 1)
    # the sentence that names the id
    span = pl.when(text_id.is_not_null()).then(doc).str.extract(r"(?i)([^.]*?" + _REG_BODY + r"[^.]*\.?)", 1).str.strip_chars()
    return {
        "registration": pl.coalesce(text_id, bank_id),
        "registration_source": pl.when(text_id.is_not_null()).then(pl.lit("abstract"))
        .when(bank_id.is_not_null()).then(pl.lit("databanks")),
        "registration_span": pl.when(text_id.is_not_null()).then(span).when(bank_id.is_not_null()).then(bank_id),
        "registration_confidence": pl.when(text_id.is_not_null()).then(0.95).when(bank_id.is_not_null()).then(0.99),
    }
