"""Study facts read out of PubMed records, as polars expressions over whole columns.

``extract_studies(articles)`` takes the frame of ``evidence.normalise.articles_frame`` and returns
one row per article with ``STUDIES_SCHEMA``: for every field in ``FIELDS`` its value, where it came
from (``F_source``), the sentence or field value it came from (``F_span``) and a confidence
(``F_confidence``), plus the version of the extractor that produced it (``extractor_version``:
``EXTRACTOR_VERSION``, tagged with the topic's conditions when they are not the knee's). Pure: no I/O.

Unknown values are null (empty lists for list fields): the extractors abstain rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import polars as pl

from . import comparator as _comparator, design as _design, numbers as _numbers, outcomes as _outcomes
from . import registration as _registration, relevance as _relevance, results as _results, timing as _timing
from .comparator import comparator_expr, comparator_span
from .design import design_stages
from .relevance import KNEE, relevant_expr
from .results import adverse_expr, certainty_expr, direction_expr, direction_span
from .text import sentences, span_source, span_text, tagged

__all__ = ["EXTRACTOR_VERSION", "FIELDS", "KNEE", "STUDIES_SCHEMA", "extract_each", "extract_studies",
           "extractor_version"]

EXTRACTOR_VERSION = "2026.11.6"

FIELDS: tuple[str, ...] = (
    "relevant", "design", "sample_size", "n_studies", "groups", "condition", "intervention", "comparator",
    "muscles", "treatment_duration_weeks", "max_follow_up_weeks", "follow_up_points", "outcome_instruments",
    "outcome_domains", "adverse_events", "direction", "registration", "certainty",
)
VALUE_TYPES: dict[str, pl.DataType] = {
    "relevant": pl.Boolean(), "design": pl.String(), "sample_size": pl.Int32(), "n_studies": pl.Int32(),
    "groups": pl.Int32(), "condition": pl.String(), "intervention": pl.String(), "comparator": pl.String(),
    "muscles": pl.List(pl.String()), "treatment_duration_weeks": pl.Float64(), "max_follow_up_weeks": pl.Float64(),
    "follow_up_points": pl.List(pl.String()), "outcome_instruments": pl.List(pl.String()),
    "outcome_domains": pl.List(pl.String()), "adverse_events": pl.String(), "direction": pl.String(),
    "registration": pl.String(), "certainty": pl.String(),
}
LIST_FIELDS = tuple(f for f, t in VALUE_TYPES.items() if isinstance(t, pl.List))


def _schema() -> pl.Schema:
    cols: dict[str, pl.DataType] = {"pmid": pl.String(), "extractor_version": pl.String()}
    for f in FIELDS:
        cols[f] = VALUE_TYPES[f]
        cols[f"{f}_source"] = pl.String()
        cols[f"{f}_span"] = pl.String()
        cols[f"{f}_confidence"] = pl.Float64()
    return pl.Schema(cols)


STUDIES_SCHEMA = _schema()

_INPUT = {"pmid": pl.String, "title": pl.String, "abstract": pl.String,
          "abstract_sections": pl.List(pl.Struct({"position": pl.Int32, "label": pl.String,
                                                  "category": pl.String, "text": pl.String})),
          "publication_types": pl.List(pl.String), "citation_status": pl.String, "indexing_method": pl.String,
          "mesh_terms": pl.List(pl.String), "keywords": pl.List(pl.String), "registry_ids": pl.List(pl.String)}
_REVIEWS = ["systematic_review", "meta_analysis", "narrative_review"]
_SINGLE = ["case_report", "case_series", "single_group_pre_post", "cohort"]


def _input(articles: pl.DataFrame) -> pl.LazyFrame:
    cols = []
    for name, dtype in _INPUT.items():
        if name in articles.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype).alias(name))
    return articles.lazy().select(cols).with_row_index("_r")


_SENTENCE_MODULES = (_design, _numbers, _timing, _outcomes, _comparator, _results)  # and _relevance, first
# The in-memory engine: the streaming engine (polars' default) runs each step per batch and costs
# about 5% more CPU here, most of it in the fixed cost of a call (20 ms more on a few rows).
_ENGINE = "in-memory"

# The rules are constants, so their expressions are built once (``cache``): building their some
# thousand expressions took 15-20 ms of Python per call, a tenth of a call on a few rows.


def extractor_version(conditions: Sequence[str] = KNEE) -> str:
    """``EXTRACTOR_VERSION``, or ``EXTRACTOR_VERSION+label+label`` for a topic whose conditions are not
    the knee's: the facts (relevance, and the condition of a record naming several) depend on them,
    so a warehouse's rows say which ones they were read for."""
    conds = _key(conditions)
    return EXTRACTOR_VERSION if conds == KNEE else "+".join([EXTRACTOR_VERSION, *conds])


def _key(conditions: Sequence[str] | None) -> tuple[str, ...]:
    """The conditions as a cache key (the rules below are built once per set of conditions)."""
    return KNEE if conditions is None or set(conditions) == set(KNEE) else tuple(sorted(set(conditions)))


@cache
def _record_rules(conditions: tuple[str, ...] = KNEE) -> tuple[dict[str, pl.Expr], ...]:
    """Per-record columns over title, abstract and index terms, in stages (see ``_sentence_rules``)."""
    return _staged(_relevance.record_columns(conditions), _design.record_columns(), _registration.record_columns())


def _staged(*modules: Sequence[dict[str, pl.Expr]]) -> tuple[dict[str, pl.Expr], ...]:
    """Stage k of every module (a list of ``with_columns`` dicts) in one dict."""
    stages: list[dict[str, pl.Expr]] = []
    for module in modules:
        for k, cols in enumerate(module):
            if k == len(stages):
                stages.append({})
            stages[k] |= cols
    return tuple(stages)


@cache
def _sentence_rules(conditions: tuple[str, ...] = KNEE) -> tuple[tuple[dict[str, pl.Expr], ...], tuple[pl.Expr, ...]]:
    """Stage k of every module in one dict, and every module's aggregations.

    Stage k of every module runs in one ``with_columns``: each heavy match is computed once, and the
    modules' columns of one stage are evaluated in parallel.
    """
    stages = _staged(_relevance.sentence_columns(conditions), *[mod.sentence_columns() for mod in _SENTENCE_MODULES])
    return stages, tuple(agg for mod in (_relevance, *_SENTENCE_MODULES) for agg in mod.aggregations())


@cache
def _output(version: str) -> tuple[pl.Expr, ...]:
    """The columns of ``STUDIES_SCHEMA``, in its order and types."""
    c = pl.col
    return (c("pmid"), pl.lit(version).alias("extractor_version"),
            *[c(name).cast(dtype) for name, dtype in STUDIES_SCHEMA.items() if name not in ("pmid", "extractor_version")])


@cache
def _record_stages(conditions: tuple[str, ...] = KNEE) -> tuple[dict[str, pl.Expr], ...]:
    """The ``with_columns`` stages that turn the joined per-record features into the facts, in order."""
    c = pl.col
    stages: list[dict[str, pl.Expr]] = list(_timing.finish())
    # the condition from MeSH terms, then keywords, when no sentence names one
    from_mesh = c("condition").is_null() & c("_cond_mesh").is_not_null()
    from_kw = c("condition").is_null() & c("_cond_mesh").is_null() & c("_cond_kw").is_not_null()
    stages.append(dict(
        condition=pl.coalesce("condition", "_cond_mesh", "_cond_kw"),
        condition_span=pl.when(from_mesh).then(tagged(c("mesh_terms").list.join("; "), "mesh_terms")).when(from_kw)
        .then(tagged(c("keywords").list.join("; "), "keywords")).otherwise(c("condition_span")),
        _cond_index=from_mesh | from_kw))
    stages.append(dict(muscles=_relevance.muscles_expr()))
    stages += _outcomes.domain_stages()
    has_text = c("abstract").is_not_null() | c("title").is_not_null()
    # the text a fact read from no span was judged on (a column: the sources of every field read it)
    stages.append(dict(_text_src=pl.when(c("abstract").is_not_null()).then(pl.lit("abstract"))
                       .when(c("title").is_not_null()).then(pl.lit("title"))))

    # Every span below is tagged with the field it was read from (``text.tagged``); the sources are
    # read off the spans at the end, so a fact's source is always where its span came from.
    # stage 1: relevance, condition, groups hint, design
    groups_hint = pl.coalesce(c("_grp"), pl.when(c("abstract").is_not_null() & ~c("_controlled_words").fill_null(False)).then(1.0))
    stages.append(dict(
        relevant=relevant_expr(conditions),
        relevant_span=pl.coalesce(c("_dn_span"), c("_dn_index"), c("condition_span")),
        condition=pl.when(has_text).then(pl.coalesce(c("condition"), pl.lit("other"))),
        condition_confidence=pl.when(c("_cond_index")).then(0.7)
        .when(c("condition").is_not_null()).then(0.85).when(has_text).then(0.4),
        _groups_hint=groups_hint,
    ))
    stages += design_stages(c("_ss"), c("_groups_hint"), [c("_grp_span"), c("_ss_span")])
    review = c("design").is_in(_REVIEWS).fill_null(False)
    single = c("design").is_in(_SINGLE).fill_null(False)
    case_report = (c("design") == "case_report").fill_null(False)
    one_person = case_report & (c("_ss").is_null() | (c("_ss") > 3))

    # stage 2: counts and times, which depend on the design
    stages.append(dict(
        sample_size=pl.when(one_person).then(1.0).otherwise(c("_ss")).round(0).cast(pl.Int32),
        sample_size_span=pl.when(one_person).then(c("design_span")).otherwise(c("_ss_span")),
        sample_size_confidence=pl.when(case_report & c("_ss").is_null()).then(0.7).otherwise(c("_ss_conf")),
        n_studies=pl.when(review).then(c("_st")).round(0).cast(pl.Int32),
        n_studies_span=pl.when(review).then(c("_st_span")),
        groups=pl.when(review).then(None).when(single).then(1.0).otherwise(c("_grp")).round(0).cast(pl.Int32),
        # one arm because the design has one
        groups_span=pl.when(review).then(None).when(single).then(c("design_span")).otherwise(c("_grp_span")),
        treatment_duration_weeks=pl.when(~review).then(c("_tx").round(3)),
        treatment_duration_weeks_span=pl.when(~review).then(c("_tx_span")),
        max_follow_up_weeks=pl.when(~review).then(c("_fu").round(3)),
        max_follow_up_weeks_span=pl.when(~review).then(c("_fu_span")),
        follow_up_points=pl.when(~review).then(c("_fu_points")).otherwise(pl.lit([], pl.List(pl.String))).fill_null([]),
        follow_up_points_span=pl.when(~review).then(c("_fu_points_span")),
        outcome_instruments=c("_instruments").fill_null([]),
        outcome_instruments_span=c("_inst_span"),
        outcome_domains=c("_domains").fill_null([]),
        # domains named in the text, else those the instruments imply
        outcome_domains_span=pl.coalesce(c("_dom_span"), c("_inst_span")),
        registration_span=c("_registration_span"),
    ))
    # stage 3: comparator, adverse events, direction, certainty
    # (a value read by several expressions is a column of its own, an earlier stage: polars computes
    # an expression that holds a when/then once per use)
    ae, ae_span, ae_conf = adverse_expr()
    stages.append(dict(comparator=comparator_expr(c("design"), c("groups")),
                       adverse_events=pl.when(c("abstract").is_not_null()).then(ae),
                       adverse_events_span=ae_span, adverse_events_confidence=pl.when(c("abstract").is_not_null()).then(ae_conf)))
    comp_span, comp_conf = comparator_span(c("comparator"), c("design_span"))
    stages.append(dict(comparator_span=comp_span, comparator_confidence=comp_conf))
    # a harm named ("bruising", "a vasovagal reaction") or denied makes adverse events one of the outcomes
    # reported, whatever words name it
    add_ae = (c("adverse_events").is_in(["reported", "none_reported"])
              & ~c("outcome_domains").list.contains("adverse_events")).fill_null(False)
    stages.append(dict(
        outcome_domains=pl.when(add_ae).then(pl.concat_list(c("outcome_domains"), pl.lit(["adverse_events"])))
        .otherwise(c("outcome_domains")),
        outcome_domains_span=pl.when(add_ae & c("outcome_domains_span").is_null()).then(c("adverse_events_span"))
        .otherwise(c("outcome_domains_span"))))
    cert, cert_span, cert_conf = certainty_expr(c("design"))
    stages.append(dict(_direction=direction_expr(c("relevant"), c("design"), c("adverse_events")),
                       certainty=cert, certainty_span=cert_span, certainty_confidence=cert_conf))
    dire_span, dire_conf = direction_span(c("relevant"), c("design"), c("_direction"))
    stages.append(dict(direction=pl.when(has_text).then(c("_direction")), direction_span=dire_span,
                       direction_confidence=pl.when(has_text).then(dire_conf)))

    # sources and spans: a known value's source is where its span was read from; a value read from no
    # span (a fallback such as "other", "not_mentioned" or "unclear") names the text it was judged on
    final: dict[str, pl.Expr] = {}
    # (the frames joined in ``extract_studies`` add no spans or confidences of FIELDS)
    names = set(_INPUT) | {name for stage in _record_rules(conditions) for name in stage}
    names |= {a.meta.output_name() for a in _sentence_rules(conditions)[1]}
    names |= {name for stage in stages for name in stage}
    for f in FIELDS:
        value = c(f)
        known = value.list.len() > 0 if f in LIST_FIELDS else value.is_not_null()
        span = pl.when(known).then(c(f"{f}_span") if f"{f}_span" in names else pl.lit(None, pl.String))
        final[f"{f}_source"] = pl.when(known).then(pl.coalesce(span_source(span), c("_text_src")))
        final[f"{f}_span"] = span_text(span)
        if f"{f}_confidence" not in names:
            final[f"{f}_confidence"] = pl.when(known).then(pl.lit(0.6))
    final["relevant_confidence"] = pl.when(has_text).then(pl.when(c("relevant")).then(0.85).otherwise(0.8))
    stages.append(final)
    return tuple(stages)


def extract_studies(articles: pl.DataFrame, conditions: Sequence[str] | None = None) -> pl.DataFrame:
    """One row of study facts per article (see module docstring); never fails on odd text.

    ``conditions``: the topic's condition labels (``relevance.LABELS``), ``KNEE`` when None. A study
    is relevant only for one of them, and they are read first in a record naming several.

    Every rule module gives per-sentence columns and their per-record aggregations; all of them run
    in the same few ``with_columns`` stages (``_sentence_rules``) and one ``group_by`` over the
    sentences. Time expressions are the one exception: they need a row each (``_timing.mention_features``).
    """
    conds = _key(conditions)
    base = _input(articles)
    for cols in _record_rules(conds):
        base = base.with_columns(**cols)
    base = base.collect(engine=_ENGINE)
    sents = sentences(base.lazy()).collect(engine=_ENGINE)
    stages, aggs = _sentence_rules(conds)
    lf = sents.lazy()
    for cols in stages:
        lf = lf.with_columns(**cols)
    per_record = lf.group_by("_r").agg(*aggs).collect(engine=_ENGINE).lazy()
    mentions = _timing.mention_features(sents.lazy())
    # (the sections are read through the sentences; not carried through the joins)
    j = (base.lazy().drop("abstract_sections").join(per_record, on="_r", how="left").join(mentions, on="_r", how="left")
         .join(_outcomes.instruments(per_record), on="_r", how="left"))
    for stage in _record_stages(conds):
        j = j.with_columns(**stage)
    return j.sort("_r").select(_output(extractor_version(conds))).collect(engine=_ENGINE)


def extract_each(frames: Sequence[pl.DataFrame], conditions: Sequence[str] | None = None) -> list[pl.DataFrame]:
    """``extract_studies`` of each articles frame, in one call over all of them: a call costs ~0.085
    CPU s whatever its size (polars compiles the extractors' ~150 patterns again each call; its regex
    cache holds 32). Each article is read on its own and the input order kept, so the studies are cut
    back per frame by row counts."""
    if not frames:
        return []
    studies = extract_studies(frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False), conditions)
    out, offset = [], 0
    for f in frames:
        out.append(studies.slice(offset, f.height))
        offset += f.height
    return out
