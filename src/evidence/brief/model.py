"""A brief as data: the bottom line, what is new, supports and cautions, and one card per study.

Built from the warehouse's rows by the rules in ``rules.py``; the templates only lay it out. The
``narrative`` of a brief (the plain-language sentences, not citations or quotes) is what the reading
grade is measured on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from . import rules as R

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI_URL = "https://doi.org/{}"
# Facts kept in the state file and compared between briefs, with their plain names.
KEY_FACTS: dict[str, str] = {
    "design": "design", "condition": "condition", "sample_size": "people", "comparator": "compared with",
    "treatment_duration_weeks": "treatment length", "max_follow_up_weeks": "follow-up", "direction": "result",
    "adverse_events": "side effects", "is_retracted": "retracted", "title": "title", "year": "year",
}


def date_text(day: dt.date | None) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else "date unknown"


def pubmed_url(pmid: str) -> str:
    return PUBMED_URL.format(quote(str(pmid)))


def doi_url(doi: str | None) -> str | None:
    return DOI_URL.format(quote(doi, safe="/:;()._-<>[]")) if doi else None


# ------------------------------------------------------------------ citation


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def vancouver_authors(names: list[str]) -> str | None:
    if not names:
        return None
    return ", ".join(names[:6]) + (", et al." if len(names) > 6 else ".")


@dataclass
class Citation:
    """A Vancouver citation in parts, so each format can link the PMID and DOI."""

    authors: str | None
    title: str | None
    journal: str | None
    year: Any
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str

    @property
    def source(self) -> str:
        """'Journal. 2025;15(1):100-10.' with what is known; '[...]' marks what PubMed does not give."""
        journal = _sentence(self.journal) if self.journal else "[Journal not given in PubMed]."
        year = str(self.year) if self.year else "[year not given]"
        tail = ""
        if self.volume:
            tail += self.volume
        if self.issue:
            tail += f"({self.issue})"
        if self.pages:
            tail += f":{self.pages}"
        return f"{journal} {year}{';' + tail if tail else ''}."

    @property
    def text(self) -> str:
        parts = [self.authors or "[Authors not given in PubMed].",
                 _sentence(self.title) if self.title else "[Title not given in PubMed].", self.source]
        if self.doi:
            parts.append(f"doi: {self.doi}.")
        parts.append(f"PMID: {self.pmid}.")
        return " ".join(parts)


# ------------------------------------------------------------------ cards


@dataclass
class Card:
    pmid: str
    number: int
    heading: str
    title: str | None
    design: str
    year: Any
    condition: str
    size: int | None
    flags: list[str]
    retracted: bool
    retraction_notices: list[str]
    compared: str | None
    people: str
    timing: str | None
    outcomes: str | None
    instruments: str | None
    result: str
    side_effects: str
    side_effects_quote: str | None
    side_effects_source: str
    comparator_quote: str | None
    comparator_source: str
    key_sentence: str | None
    key_sentence_source: str
    missing: list[str]
    extra: list[str]
    citation: Citation
    pubmed_url: str
    doi_url: str | None

    @property
    def narrative(self) -> list[str]:
        return [t for t in [self.compared, self.people, self.timing, self.outcomes, self.result,
                            self.side_effects, *self.missing, *self.extra] if t]


def missing_notes(s: dict[str, Any]) -> list[str]:
    notes = []
    for key, what in (("title", "Title"), ("journal", "Journal"), ("year", "Year")):
        if not R.has_text(s.get(key)):
            notes.append(f"{what} not given in PubMed.")
    if not s.get("authors"):
        notes.append("Authors not given in PubMed.")
    if s.get("abstract_missing"):
        notes.append("PubMed has no abstract, so the facts come from the title alone.")
    elif s.get("abstract_cut_short") or s.get("direction") == "unclear":
        notes.append("The abstract seems cut short, so some facts may be missing.")
    return notes


def extra_notes(s: dict[str, Any]) -> list[str]:
    out = []
    if s.get("certainty"):
        out.append(f"The review rated its confidence in the evidence as {s['certainty'].replace('_', ' ')}.")
    if s.get("has_erratum"):
        out.append("A correction to this paper was published.")
    return out


def quote_source(source: str | None, sentence: str | None = None, title: str | None = None) -> str:
    """Where a quoted sentence comes from, for its attribution ('abstract', 'title', 'PubMed record');
    a sentence that is the article's title is attributed to the title whatever the source says."""
    if sentence and title and sentence.strip().rstrip(".") == title.strip().rstrip("."):
        return "title"
    if source in (None, "abstract"):
        return "abstract"
    return "title" if source == "title" else "PubMed record"


def make_card(s: dict[str, Any], number: int) -> Card:
    title = s.get("title")
    year = s.get("year")
    design = R.design_name(s.get("design"))
    heading = f"{design[0].upper() + design[1:]}, {year or 'year not given'}"
    return Card(
        pmid=s["pmid"], number=number, heading=heading, title=title, design=design, year=year,
        condition=R.condition_short(s.get("condition")), size=s.get("sample_size"),
        flags=R.flags(s), retracted=bool(s.get("is_retracted")), retraction_notices=s.get("retraction_notices") or [],
        compared=R.compared_text(s), people=R.people_text(s), timing=R.timing_text(s),
        outcomes=R.outcomes_text(s), instruments=R.instruments_text(s), result=R.result_text(s),
        side_effects=R.side_effects_text(s),
        side_effects_quote=s.get("adverse_events_sentence") if s.get("adverse_events") == "reported" else None,
        comparator_quote=s.get("comparator_sentence") if s.get("comparator") in ("active_other", "multiple")
        and s.get("comparator_sentence") != s.get("key_sentence") else None,
        key_sentence=s.get("key_sentence"), key_sentence_source=quote_source(s.get("key_sentence_source"), s.get("key_sentence"), title),
        comparator_source=quote_source(s.get("comparator_sentence_source"), s.get("comparator_sentence"), title),
        side_effects_source=quote_source(s.get("adverse_events_sentence_source"), s.get("adverse_events_sentence"),
                                         title), missing=missing_notes(s), extra=extra_notes(s),
        citation=Citation(authors=vancouver_authors(s.get("authors") or []), title=title,
                          journal=s.get("journal_iso") or s.get("journal"), year=year, volume=s.get("volume"),
                          issue=s.get("issue"), pages=s.get("pages"), doi=s.get("doi"), pmid=s["pmid"]),
        pubmed_url=pubmed_url(s["pmid"]), doi_url=doi_url(s.get("doi")),
    )


# ------------------------------------------------------------------ bottom line


_OTHER_RESULTS = [("no_difference", "found no clear difference"), ("mixed", "had mixed results"),
                  ("favours_comparator", "favoured the other treatment"),
                  (None, "gave no clear result")]


def bottom_line(studies: list[dict[str, Any]], topic: str) -> list[str]:
    usable = [s for s in studies if R.counts_toward_results(s)]
    trials = [s for s in usable if R.is_trial(s)]
    reviews = [s for s in usable if s.get("design") in R.REVIEWS]
    plans = [s for s in studies if s.get("design") == "protocol" and not s.get("is_retracted")]
    retracted = [s for s in studies if s.get("is_retracted")]
    counted = len(studies) - len(retracted)
    out = [f"There {'is' if counted == 1 else 'are'} {R.plural(counted, 'study', 'studies')} "
           f"of dry needling for {topic} here." if counted else
           f"There is no study of dry needling for {topic} here that can be used."]
    kinds = []
    if trials:
        kinds.append(f"{R.number_word(len(trials))} "
                     f"{'is a randomised trial' if len(trials) == 1 else 'are randomised trials'}")
    if reviews:
        kinds.append(f"{R.number_word(len(reviews))} {'is a review' if len(reviews) == 1 else 'are reviews'}")
    if plans:
        kinds.append(f"{R.number_word(len(plans))} "
                     f"{'is a trial plan' if len(plans) == 1 else 'are trial plans'} with no results yet")
    if kinds and counted:
        out.append(R.cap(R.join_words(kinds)) + ".")
    if counted and not trials:
        out.append("There is no randomised trial yet.")
    primary = [s for s in usable if s.get("design") not in R.REVIEWS]
    known = [s for s in primary if s.get("sample_size") is not None]
    if known:
        total = sum(s["sample_size"] for s in known)
        out.append(f"In all, {total} people took part in the studies with results (reviews not counted).")
        if len(known) < len(primary):
            unknown = len(primary) - len(known)
            out.append(f"{R.cap(R.plural(unknown, 'study', 'studies'))} did not say how many people took part.")
    sized = [s for s in trials if s.get("sample_size") is not None]
    if sized:
        biggest = max(s["sample_size"] for s in sized)
        out.append(f"The largest trial had {biggest} people.")
    fu = [s["max_follow_up_weeks"] for s in primary if s.get("max_follow_up_weeks")]
    if fu:
        out.append(f"The longest follow-up was {R.weeks_text(max(fu))}.")
    for doms, measured, fav in R.domain_tallies(usable):
        tally: dict[str | None, int] = {}
        for s in measured:
            if s.get("direction") != "favours_dry_needling":
                key = s.get("direction") if s.get("direction") in dict(_OTHER_RESULTS) else None
                tally[key] = tally.get(key, 0) + 1
        rest = [f"{tally[k]} {words}" for k, words in _OTHER_RESULTS if tally.get(k)]
        out.append(R.tally_sentence(doms, measured, fav, rest))
    if retracted:
        out.append(f"{R.cap(R.plural(len(retracted), 'retracted study', 'retracted studies'))} "
                   f"{'is' if len(retracted) == 1 else 'are'} left out of these counts.")
    return out


# ------------------------------------------------------------------ what is new


def state_facts(studies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The key facts of each study, as kept in the state file next to the briefs."""
    return {s["pmid"]: {k: s.get(k) for k in KEY_FACTS} for s in sorted(studies, key=lambda s: s["pmid"])}


def _fact_text(key: str, value: Any) -> str:
    if value is None:
        return "not given"
    if key == "design":
        return R.design_name(value)
    if key == "condition":
        return R.condition_short(value)
    if key == "comparator":
        return R.COMPARATOR_NAMES.get(value, str(value))
    if key in ("treatment_duration_weeks", "max_follow_up_weeks"):
        return R.weeks_text(value) or "not given"
    if key == "direction":
        return R.DIRECTION_WORDS.get(value, str(value)).rstrip(".").lower()
    if key == "adverse_events":
        return {"none_reported": "none", "reported": "reported", "not_mentioned": "not mentioned"}.get(value, value)
    if key == "is_retracted":
        return "yes" if value else "no"
    return str(value)


@dataclass
class Change:
    pmid: str
    text: str
    url: str


@dataclass
class WhatsNew:
    first: bool
    since: str | None = None
    summary: str = ""
    new: list[Change] = field(default_factory=list)
    retracted: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)

    @property
    def narrative(self) -> list[str]:
        return [self.summary] if self.summary else []


def whats_new(current: dict[str, dict[str, Any]], previous: dict[str, Any] | None) -> WhatsNew:
    if not previous or "studies" not in previous:
        return WhatsNew(first=True, summary="This is the first brief, so there is nothing to compare with.")
    since = previous.get("data_date")
    since_text = date_text(dt.date.fromisoformat(since)) if since else "the last brief"
    old = previous["studies"]
    out = WhatsNew(first=False, since=since_text)
    for pmid, facts in current.items():
        url = pubmed_url(pmid)
        if pmid not in old:
            desc = (f"{_fact_text('design', facts.get('design'))}, {facts.get('year') or 'year not given'}, "
                    f"{_fact_text('condition', facts.get('condition'))}")
            out.new.append(Change(pmid, desc, url))
            continue
        before = old[pmid]
        if facts.get("is_retracted") and not before.get("is_retracted"):
            out.retracted.append(Change(pmid, "now marked as retracted in PubMed", url))
        diffs = [f"{name}: {_fact_text(k, before.get(k))} → {_fact_text(k, facts.get(k))}"
                 for k, name in KEY_FACTS.items() if k != "is_retracted" and before.get(k) != facts.get(k)]
        if diffs:
            out.changed.append(Change(pmid, "; ".join(diffs), url))
    for pmid in sorted(set(old) - set(current)):
        out.dropped.append(Change(pmid, "no longer listed (withdrawn from PubMed or no longer judged relevant)",
                                  pubmed_url(pmid)))
    parts = []
    if out.new:
        parts.append(R.plural(len(out.new), "new study", "new studies"))
    if out.retracted:
        parts.append(R.plural(len(out.retracted), "retraction"))
    if out.changed:
        parts.append(f"{R.plural(len(out.changed), 'study', 'studies')} with changed facts")
    if out.dropped:
        parts.append(f"{R.plural(len(out.dropped), 'study', 'studies')} no longer listed")
    out.summary = (f"Since the brief of {since_text}: " + R.join_words(parts) + "." if parts
                   else f"Nothing has changed since the brief of {since_text}.")
    return out


# ------------------------------------------------------------------ the brief


@dataclass
class ConditionRow:
    condition: str
    name: str
    studies: int
    retracted: int
    trials: int
    people: int | None
    longest: str | None
    link: str


@dataclass
class Brief:
    name: str                     # file stem: knee_oa, overview
    kind: str                     # condition or overview
    title: str
    topic: str
    date_text: str
    data_date: str | None
    extractor_version: str | None
    bottom_line: list[str]
    whats_new: WhatsNew
    supports: list[R.Statement]
    cautions: list[R.Statement]
    cards: list[Card]
    conditions: list[ConditionRow]
    rules: list[str]
    facts: dict[str, dict[str, Any]]

    @property
    def retracted_count(self) -> int:
        return sum(1 for c in self.cards if c.retracted)

    @property
    def study_count_text(self) -> str:
        n = len(self.cards) - self.retracted_count
        text = R.plural(n, "study", "studies")
        return text + (f" (and {R.plural(self.retracted_count, 'retracted study', 'retracted studies')})"
                       if self.retracted_count else "")

    @property
    def narrative_text(self) -> str:
        """The plain-language text a writer reads and reuses: no citations, quotes or tables."""
        parts = [*self.whats_new.narrative, *self.bottom_line, *(s.text for s in self.supports),
                 *(c.text for c in self.cautions)]
        for card in self.cards:
            parts.extend(card.narrative)
        return " ".join(parts)


def condition_key(condition: str | None) -> str:
    return condition or "unspecified"


def build_brief(studies: list[dict[str, Any]], condition: str | None, *, data_date: dt.date | None,
                extractor_version: str | None, previous: dict[str, Any] | None, area: str = "knee",
                conditions: tuple[str, ...] | None = None) -> Brief:
    """The brief of one condition (``condition``), or the overview (``condition=None``) of ``studies``:
    the topic's ``conditions`` (the knee's when None), of the body part ``area`` names."""
    ordered = sorted(studies, key=R.card_sort_key)
    facts = state_facts(studies)
    if condition is not None:
        topic = R.condition_name(condition)
        supports, cautions = R.supports_and_cautions(ordered, condition, area=area)
        return Brief(
            name=condition_key(condition), kind="condition", title=f"Dry needling for {topic}",
            topic=topic, date_text=date_text(data_date), data_date=data_date.isoformat() if data_date else None,
            extractor_version=extractor_version, bottom_line=bottom_line(ordered, topic),
            whats_new=whats_new(facts, previous), supports=supports, cautions=cautions,
            cards=[make_card(s, i) for i, s in enumerate(ordered, 1)], conditions=[], rules=R.RULES, facts=facts)
    by_condition: dict[str, list[dict[str, Any]]] = {}
    for s in ordered:
        by_condition.setdefault(condition_key(s.get("condition")), []).append(s)
    rows = []
    trials_by_condition: dict[str, int] = {}
    for cond, group in by_condition.items():
        usable = [s for s in group if R.counts_toward_results(s)]
        trials = [s for s in usable if R.is_trial(s)]
        trials_by_condition[cond] = len(trials)
        sizes = [s["sample_size"] for s in usable if s.get("design") not in R.REVIEWS and s.get("sample_size")]
        fu = [s["max_follow_up_weeks"] for s in usable if s.get("design") not in R.REVIEWS
              and s.get("max_follow_up_weeks")]
        rows.append(ConditionRow(cond, R.condition_short(cond),
                                 len(group) - sum(1 for s in group if s.get("is_retracted")),
                                 sum(1 for s in group if s.get("is_retracted")), len(trials),
                                 sum(sizes) if sizes else None, R.weeks_text(max(fu)) if fu else None, cond))
    rows.sort(key=lambda r: (-r.studies, -r.trials, r.condition))
    supports, cautions = R.supports_and_cautions(ordered, None, other_conditions=trials_by_condition, area=area,
                                                 conditions=conditions)
    topic = f"{area} problems"
    lines = bottom_line(ordered, topic)
    if rows:
        lines.insert(1, f"They cover {R.plural(len(rows), f'{area} condition')}. "
                        f"The most studied is {rows[0].name}.")
    return Brief(
        name="overview", kind="overview", title=f"Dry needling for {topic} (overview)",
        topic=topic, date_text=date_text(data_date), data_date=data_date.isoformat() if data_date else None,
        extractor_version=extractor_version, bottom_line=lines, whats_new=whats_new(facts, previous),
        supports=supports, cautions=cautions, cards=[make_card(s, i) for i, s in enumerate(ordered, 1)],
        conditions=rows, rules=R.RULES, facts=facts)
