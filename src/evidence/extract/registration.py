"""Trial and review registry ids, from the abstract text and PubMed's DataBank list."""

from __future__ import annotations

import polars as pl

from .text import tagged

# ASCII classes only: a Unicode \w{6,} made this pattern slow to compile on every call
_REG_BODY = (r"(?-u:\b)(NCT ?[0-9]{8}|ISRCTN ?[0-9]{8}|ACTRN ?[0-9]{14}|IRCT ?[0-9]{6,}N[0-9]+|IRCT[0-9]{8,}|ChiCTR[-A-Z]*[0-9]{6,}"
             r"|CRD ?[0-9]{8,}|DRKS ?[0-9]{8}|CTRI/[0-9]{4}/[0-9]{2,3}/[0-9]{4,}|PACTR ?[0-9]{12,}|JPRN-[A-Za-z0-9]+"
             r"|UMIN ?[0-9]{9}|KCT ?[0-9]{7}|TCTR ?[0-9]{11}|NTR ?[0-9]{3,5}|RBR-[A-Za-z0-9]{6,}|EUCTR[0-9-]+|ANZCTR[A-Za-z]*[0-9]{8,}"
             r"|NL[0-9]{4,}|SLCTR/[0-9]{4}/[0-9]{3})(?-u:\b)")
REGISTRY = "(?i)" + _REG_BODY


def record_columns() -> dict[str, pl.Expr]:
    """Per record: the first registry id in the abstract, else the title, else the first DataBank accession.

    Abstract and title are read as separate texts, so the id and its span both come from one field.
    """
    found = []
    for name in ("abstract", "title"):
        text = pl.col(name)
        # every id holds a run of digits; the id patterns run only on the few records that have one
        text = pl.when(text.str.contains(r"[0-9]{3}")).then(text)
        text_id = text.str.extract(REGISTRY, 1).str.replace_all(" ", "", literal=True)
        # the sentence that names the id
        span = pl.when(text_id.is_not_null()).then(text).str.extract(r"(?i)([^.]*?" + _REG_BODY + r"[^.]*\.?)", 1).str.strip_chars()
        found.append((text_id, tagged(span, name)))
    banks = pl.col("registry_ids").fill_null([])
    bank_id = banks.list.join(" ").str.extract(REGISTRY, 1)
    (abs_id, abs_span), (title_id, title_span) = found
    text_id = pl.coalesce(abs_id, title_id)
    return {
        "registration": pl.coalesce(text_id, bank_id),
        "_registration_span": pl.when(abs_id.is_not_null()).then(abs_span).when(title_id.is_not_null()).then(title_span)
        .when(bank_id.is_not_null()).then(tagged(bank_id, "databanks")),
        "registration_confidence": pl.when(text_id.is_not_null()).then(0.95).when(bank_id.is_not_null()).then(0.99),
    }
