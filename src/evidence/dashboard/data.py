"""What the dashboard shows, read from the warehouse's views into plain, JSON-ready data.

Everything here is a pure function of the warehouse: the same file gives the same data, in the same
order, with no wall-clock time in it (the freshness shown is the last run's own time).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb

from ..warehouse.topic import read_topic


DASHBOARD_VIEWS = ("evidence_map", "studies_by_year", "outcome_results", "article_abstracts")
RUNS_SHOWN = 10
UNKNOWN = "unknown"

# Orders and labels of the vocabularies (the studies schema's comments list the values).
DESIGNS = {
    "meta_analysis": "Meta-analysis", "systematic_review": "Systematic review", "rct": "RCT",
    "pilot_rct": "Pilot RCT", "crossover_rct": "Crossover RCT",
    "non_randomized_controlled": "Non-randomised controlled", "cohort": "Cohort",
    "single_group_pre_post": "Single-group pre/post", "case_series": "Case series",
    "case_report": "Case report", "cross_sectional": "Cross-sectional", "narrative_review": "Narrative review",
    "protocol": "Protocol", "cadaveric": "Cadaveric", "other": "Other design", UNKNOWN: "Design not stated",
}
CONDITIONS = {
    "knee_oa": "Knee osteoarthritis", "tka": "Knee replacement (TKA)", "pfps": "Patellofemoral pain",
    "patellar_tendinopathy": "Patellar tendinopathy", "itbs": "Iliotibial band syndrome",
    "acl": "ACL injury or reconstruction", "knee_pain_nonspecific": "Knee pain (non-specific)",
    "neck_pain": "Neck pain", "shoulder_pain": "Shoulder pain", "low_back_pain": "Low back pain",
    "plantar_heel_pain": "Plantar heel pain", "hip_pain": "Hip pain", "other": "Other condition",
    UNKNOWN: "Condition not stated",
}
COMPARATORS = {
    "sham": "Sham needling", "placebo": "Placebo (not needling)", "cointervention_only": "Co-treatment only",
    "active_other": "Another active treatment", "no_treatment": "No treatment / waiting list",
    "none": "None (single group)", "multiple": "Several comparators", UNKNOWN: "Not stated / review",
}
DIRECTIONS = {
    "favours_dry_needling": "Favours dry needling", "no_difference": "No difference", "mixed": "Mixed",
    "favours_comparator": "Favours comparator", "not_applicable": "Not applicable", "unclear": "Unclear",
    UNKNOWN: "Not stated",
}
DOMAINS = {
    "pain": "Pain", "function": "Function", "stiffness": "Stiffness", "strength": "Strength",
    "range_of_motion": "Range of motion", "pressure_pain_threshold": "Pressure pain threshold",
    "psychological": "Psychological", "quality_of_life": "Quality of life",
    "medication_use": "Medication use", "adverse_events": "Adverse events", "gait": "Gait", "other": "Other",
}
DESIGN_GROUPS = {
    "randomised trial": "Randomised trials", "systematic review": "Systematic reviews",
    "other study": "Other studies", "protocol": "Protocols", UNKNOWN: "Design not stated",
}
ADVERSE_EVENTS = {"none_reported": "None reported", "reported": "Reported", "not_mentioned": "Not mentioned"}
FIELDS = {
    "relevant": "Relevant", "design": "Design", "sample_size": "Sample size", "n_studies": "Studies included",
    "groups": "Arms", "condition": "Condition", "intervention": "Intervention", "comparator": "Comparator",
    "muscles": "Muscles needled", "treatment_duration_weeks": "Treatment (weeks)",
    "max_follow_up_weeks": "Longest follow-up (weeks)", "follow_up_points": "Follow-up points",
    "outcome_instruments": "Outcome measures", "outcome_domains": "Outcome domains",
    "adverse_events": "Adverse events", "direction": "Result", "registration": "Registration",
    "certainty": "Certainty (GRADE)",
}
FOLLOW_UP_STEPS = [(1, "1 week"), (4.345, "1 month"), (13, "3 months"), (26, "6 months"), (52, "12 months")]


def labels() -> dict[str, dict[str, str]]:
    return {"design": DESIGNS, "condition": CONDITIONS, "comparator": COMPARATORS, "direction": DIRECTIONS,
            "domain": DOMAINS, "design_group": DESIGN_GROUPS, "adverse_events": ADVERSE_EVENTS, "field": FIELDS}


def _order(values: list[str], vocabulary: dict[str, str]) -> list[str]:
    """Vocabulary order first, then anything the vocabulary does not know, alphabetically."""
    rank = {v: i for i, v in enumerate(vocabulary)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(rank)), v))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [{k: _plain(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def _plain(value: Any) -> Any:
    """A value JSON can hold, written the same way every time."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() else round(value, 2)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def studies(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(con, """
        SELECT pmid, title, year, journal, journal_iso, volume, issue, pages, pub_date_text, authors, doi, pmc,
               is_retracted, has_erratum, design, design_group, condition, intervention, comparator,
               sample_size, n_studies, groups, treatment_duration_weeks, max_follow_up_weeks,
               outcome_domains, outcome_instruments, muscles, adverse_events, direction, registration,
               certainty, entrez_date
        FROM relevant_studies
        ORDER BY year DESC NULLS LAST, TRY_CAST(pmid AS BIGINT) DESC NULLS LAST, pmid""")
    for r in rows:
        for key in ("design", "condition", "comparator", "direction"):
            r[key] = r[key] or UNKNOWN
        for key in ("outcome_domains", "outcome_instruments", "muscles"):
            r[key] = r[key] or []
        r["is_retracted"] = bool(r["is_retracted"])
        r["has_erratum"] = bool(r["has_erratum"])
    return rows


def evidence(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Facts of each relevant study, in the fields' order, each with its source and sentence."""
    rank = {f: i for i, f in enumerate(FIELDS)}
    rows = _rows(con, """
        SELECT e.pmid, e.field, e.value, e.source, e.span, e.confidence
        FROM study_evidence e
        WHERE e.pmid IN (SELECT pmid FROM relevant_studies)""")
    rows.sort(key=lambda r: (r["pmid"], rank.get(r["field"], len(rank)), r["field"]))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.pop("pmid"), []).append(r)
    return out


def abstracts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("""
        SELECT pmid, abstract FROM article_abstracts
        WHERE abstract IS NOT NULL AND pmid IN (SELECT pmid FROM relevant_studies)
        ORDER BY pmid""").fetchall()
    return {pmid: text for pmid, text in rows}


def evidence_map(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Cells of the conditions × designs map; rows by study count (then vocabulary), columns by design order."""
    cells = _rows(con, "SELECT * FROM evidence_map ORDER BY condition, design")
    totals: dict[str, int] = {}
    for c in cells:
        totals[c["condition"]] = totals.get(c["condition"], 0) + c["studies"]
    rank = {v: i for i, v in enumerate(CONDITIONS)}
    conditions = sorted(totals, key=lambda v: (-totals[v], rank.get(v, len(rank)), v))
    return {"conditions": conditions, "designs": _order([c["design"] for c in cells], DESIGNS), "cells": cells}


def timeline(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = _rows(con, "SELECT * FROM studies_by_year ORDER BY year NULLS LAST, design_group")
    dated = [r for r in rows if r["year"] is not None]
    years = list(range(min(r["year"] for r in dated), max(r["year"] for r in dated) + 1)) if dated else []
    return {"years": years, "groups": _order([r["design_group"] for r in rows], DESIGN_GROUPS),
            "counts": dated, "undated": sum(r["studies"] for r in rows if r["year"] is None)}


def outcomes(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, "SELECT * FROM outcome_results ORDER BY trials DESC, domain")


def runs(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    recent = _rows(con, f"""
        SELECT run_id, kind, status, mode, started_at, finished_at, seconds, searched, fetched, new, updated,
               unchanged, deleted, errors, last_stage, message
        FROM run_health ORDER BY run_id DESC LIMIT {RUNS_SHOWN}""")
    last_ok = _rows(con, """
        SELECT run_id, kind, finished_at, new, updated, deleted FROM run_health
        WHERE status = 'success' ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1""")
    total = con.execute("SELECT count(*), count(*) FILTER (WHERE status <> 'success') FROM run_health").fetchone()
    return {"recent": recent, "last_success": last_ok[0] if last_ok else None,
            "total": total[0], "not_successful": total[1]}


def totals(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> dict[str, Any]:
    primary = [r for r in rows if r["design_group"] not in ("systematic review", "protocol")]
    screened, newest, versions = con.execute("""
        SELECT count(*), max(entrez_date), string_agg(DISTINCT extractor_version, ', ' ORDER BY extractor_version)
        FROM all_studies""").fetchone()
    return {
        "screened": screened,
        "relevant": len(rows),
        "randomised_trials": sum(r["design_group"] == "randomised trial" for r in rows),
        "reviews": sum(r["design_group"] == "systematic review" for r in rows),
        "protocols": sum(r["design"] == "protocol" for r in rows),
        "participants_primary": sum(r["sample_size"] or 0 for r in primary),
        "retracted": sum(r["is_retracted"] for r in rows),
        "newest_entrez_date": _plain(newest),
        "extractor_versions": versions,
    }


def collect(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Everything the dashboard shows, as JSON-ready data (same warehouse, same data)."""
    rows = studies(con)
    topic = read_topic(con)
    return {
        "topic": {"area": topic.area, "conditions": list(topic.conditions), "title": topic.title},
        "labels": labels(),
        "follow_up_steps": [{"weeks": w, "label": lbl} for w, lbl in FOLLOW_UP_STEPS],
        "totals": totals(con, rows),
        "studies": rows,
        "evidence": evidence(con),
        "abstracts": abstracts(con),
        "map": evidence_map(con),
        "timeline": timeline(con),
        "outcomes": outcomes(con),
        "runs": runs(con),
    }
