"""Trial and review registry ids, from the abstract text and PubMed's DataBank list."""

from __future__ import annotations

import polars as pl

from .text import masked, tagged

# ASCII classes only: a Unicode \w{6,} made this pattern slow to compile on every call
_REG_BODY = (r"(?-u:\b)(NCT ?[0-9]{8}|ISRCTN ?[0-9]{8}|ACTRN ?[0-9]{14}|IRCT ?[0-9]{6,}N[0-9]+|IRCT[0-9]{8,}|ChiCTR[-A-Z]*[0-9]{6,}"
             r"|CRD ?[0-9]{8,}|DRKS ?[0-9]{8}|CTRI/[0-9]{4}/[0-9]{2,3}/[0-9]{4,}|PACTR ?[0-9]{12,}|JPRN-[A-Za-z0-9]+"
             r"|UMIN ?[0-9]{9}|KCT ?[0-9]{7}|TCTR ?[0-9]{11}|NTR ?[0-9]{3,5}|RBR-[A-Za-z0-9]{6,}|EUCTR[0-9-]+|ANZCTR[A-Za-z]*[0-9]{8,}"
             r"|NL[0-9]{4,}|SLCTR/[0-9]{4}/[0-9]{3})(?-u:\b)")
REGISTRY = "(?i)" + _REG_BODY


def record_columns() -> list[dict[str, pl.Expr]]:
    """Per record: the first registry id in the abstract, else the title, else the first DataBank accession.

    Abstract and title are read as separate texts, so the id and its span both come from one field.
    Two stages: the ids, each matched once, then the facts read from them (every fact uses an id
    several times, and polars shares no expression that holds a when/then between columns).
    """
    ids = {}
    for name in ("abstract", "title"):
        text = pl.col(name)
        # every id holds a run of digits; the id patterns run only on the few records that have one
        text = pl.when(text.str.contains(r"[0-9]{3}")).then(text)
        ids[f"_reg_{name}"] = text.str.extract(REGISTRY, 1).str.replace_all(" ", "", literal=True)
    banks = pl.col("registry_ids").fill_null([])
    ids["_reg_databanks"] = banks.list.join(" ").str.extract(REGISTRY, 1)

    def span(name: str) -> pl.Expr:
        """The sentence of ``name`` that names its id (``masked``: the pattern reads only the texts with one)."""
        text = masked(pl.col(f"_reg_{name}").is_not_null(), pl.col(name))
        return tagged(text.str.extract(r"(?i)([^.]*?" + _REG_BODY + r"[^.]*\.?)", 1).str.strip_chars(), name)

    abs_id, title_id, bank_id = pl.col("_reg_abstract"), pl.col("_reg_title"), pl.col("_reg_databanks")
    text_id = pl.coalesce(abs_id, title_id)
    return [ids, {
        "registration": pl.coalesce(text_id, bank_id),
        "_registration_span": pl.when(abs_id.is_not_null()).then(span("abstract")).when(title_id.is_not_null())
        .then(span("title")).when(bank_id.is_not_null()).then(tagged(bank_id, "databanks")),
        "registration_confidence": pl.when(text_id.is_not_null()).then(0.95).when(bank_id.is_not_null()).then(0.99),
    }]
