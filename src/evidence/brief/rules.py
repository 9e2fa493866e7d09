"""The written rules of a brief: plain words for each label, the order of study cards, the flags,
and which statements a writer may make (supports) or should avoid (cautions).

Everything a brief says about a study is derived here from the warehouse's fields; no sentence is
written by hand for one study. The rule texts (``RULES``) are printed in every brief's footer, so a
writer can see why a statement is (or is not) there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..extract.relevance import KNEE

# ------------------------------------------------------------------ vocabularies in plain words

CONDITION_NAMES: dict[str, str] = {
    "knee_oa": "knee osteoarthritis",
    "tka": "knee replacement",
    "pfps": "pain at the front of the knee (patellofemoral pain)",
    "patellar_tendinopathy": "patellar tendon pain (jumper's knee)",
    "itbs": "pain at the outer knee (iliotibial band syndrome)",
    "acl": "ACL injury",
    "knee_pain_nonspecific": "knee pain",
    "unspecified": "a knee problem not named",
    # the conditions of other topics (a topic file's ``conditions``)
    "neck_pain": "neck pain",
    "shoulder_pain": "shoulder pain",
    "low_back_pain": "low back pain",
    "plantar_heel_pain": "heel pain (plantar fasciitis)",
    "hip_pain": "hip pain",
}
CONDITION_SHORT: dict[str, str] = {
    "knee_oa": "knee osteoarthritis", "tka": "knee replacement", "pfps": "front knee pain",
    "patellar_tendinopathy": "jumper's knee", "itbs": "outer knee pain", "acl": "ACL injury",
    "knee_pain_nonspecific": "knee pain", "unspecified": "unnamed knee problem",
    "neck_pain": "neck pain", "shoulder_pain": "shoulder pain", "low_back_pain": "low back pain",
    "plantar_heel_pain": "heel pain", "hip_pain": "hip pain",
}
# The knee conditions of the label vocabulary: the overview of the knee topic names those with no
# trial (another topic's overview names its own conditions).
KNEE_CONDITIONS = [c for c in CONDITION_NAMES if c in KNEE]

DESIGN_NAMES: dict[str, str] = {
    "meta_analysis": "review with pooled results (meta-analysis)",
    "systematic_review": "systematic review",
    "rct": "randomised trial",
    "crossover_rct": "crossover randomised trial",
    "pilot_rct": "pilot randomised trial",
    "non_randomized_controlled": "controlled study, not randomised",
    "cohort": "cohort study",
    "single_group_pre_post": "single-group study (before and after)",
    "case_series": "case series",
    "case_report": "case report",
    "cross_sectional": "cross-sectional study",
    "narrative_review": "narrative review",
    "cadaveric": "cadaver study",
    "other": "other study",
    "protocol": "trial plan (protocol), no results yet",
}
# Strongest first; the card order (then newest year, then PMID).
DESIGN_ORDER = ["meta_analysis", "systematic_review", "rct", "crossover_rct", "pilot_rct",
                "non_randomized_controlled", "cohort", "single_group_pre_post", "case_series",
                "case_report", "cross_sectional", "narrative_review", "other", "cadaveric", None, "protocol"]
RANDOMISED = ("rct", "pilot_rct", "crossover_rct")
REVIEWS = ("meta_analysis", "systematic_review", "narrative_review")
NO_CONTROL = ("single_group_pre_post", "case_series", "case_report")

COMPARATOR_NAMES: dict[str, str] = {
    "sham": "sham (pretend) needling",
    "placebo": "a placebo treatment",
    "cointervention_only": "the same care without dry needling",
    "active_other": "another active treatment",
    "no_treatment": "no treatment or a waiting list",
    "none": "no comparison group",
    "multiple": "two or more other treatments",
}

DOMAIN_NAMES: dict[str, str] = {
    "pain": "pain", "function": "function", "stiffness": "stiffness", "strength": "strength",
    "range_of_motion": "range of motion", "pressure_pain_threshold": "pain on pressure",
    "psychological": "fear, mood or beliefs", "quality_of_life": "quality of life",
    "medication_use": "use of pain drugs", "adverse_events": "side effects", "gait": "walking",
    "other": "other outcomes",
}
DOMAIN_ORDER = list(DOMAIN_NAMES)
# Instruments a writer may not know, in plain words (kept short: shown in brackets).
INSTRUMENT_NAMES: dict[str, str] = {
    "VAS": "pain scale", "NPRS": "pain scale", "WOMAC": "osteoarthritis score", "KOOS": "knee score",
    "KSS": "knee score", "Lysholm": "knee score", "Kujala": "front knee pain score", "VISA-P": "tendon score",
    "TUG": "up-and-go test", "6MWT": "6-minute walk", "PPT": "pressure pain", "ROM": "range of motion",
    "TSK": "kinesiophobia, fear of movement", "PCS": "pain catastrophising", "SF-36": "quality of life",
    "SF-12": "quality of life", "EQ-5D": "quality of life", "LEFS": "leg function", "strength": "strength",
}

# Words for what both arms received besides the needling, read from the comparator's sentence.
CO_TREATMENTS: list[tuple[str, str]] = [
    ("exercise", r"exercis"), ("physiotherapy", r"physiotherap|physical therap|rehabilitation"),
    ("manual therapy", r"manual therap|mobili[sz]ation"), ("stretching", r"stretch"),
    ("education", r"education|advice"), ("usual care", r"usual care|standard care"),
]

DIRECTION_WORDS: dict[str, str] = {
    "favours_dry_needling": "Results favoured dry needling.",
    "no_difference": "No clear difference was found.",
    "mixed": "Mixed: better on some outcomes or at some times, not others.",
    "favours_comparator": "Results favoured the other treatment, not dry needling.",
    "not_applicable": "No results to report.",
    "unclear": "The abstract stops before the results.",
}

# ------------------------------------------------------------------ thresholds (stated in the footer)

SMALL_SAMPLE = 30          # fewer people than this: "small"
SHORT_FOLLOW_UP_WEEKS = 4  # last measure earlier than this: "short follow-up"
MAJORITY = 0.5             # more than this share of trials must agree for a "support"

RULES: list[str] = [
    "Counts leave out retracted studies. Trial plans (protocols) count as studies but add no people or results.",
    "People are counted from trials and other studies with results, not from reviews, so no one is counted twice.",
    "A result is the whole study's result, as its abstract states it. It is not split by outcome.",
    "A statement goes under \"what you can say\" when more than half of the trials that measured "
    f"an outcome reported results favouring dry needling. Otherwise it goes under \"be careful\".",
    "Effects are never claimed past the longest follow-up of any study here.",
    "No study here measured cure, reversal or joint repair, or how much pain comes from trigger points, "
    "so those claims are always flagged.",
    f"Flags: pilot (called a pilot), small (fewer than {SMALL_SAMPLE} people), short follow-up "
    f"(under {SHORT_FOLLOW_UP_WEEKS} weeks), no control group, trial plan (no results yet), retracted.",
    "Order of the studies: reviews first, then randomised trials, then other designs, then plans, "
    "then retracted studies; newest first within each.",
]


# ------------------------------------------------------------------ small helpers


def design_rank(design: str | None) -> int:
    return DESIGN_ORDER.index(design) if design in DESIGN_ORDER else DESIGN_ORDER.index(None)


def card_sort_key(study: dict[str, Any]) -> tuple:
    """Strongest design first, then newest year (unknown last), then the higher PMID (newer);
    retracted studies after all others."""
    year = study.get("year")
    pmid = str(study.get("pmid") or "")
    return (bool(study.get("is_retracted")), design_rank(study.get("design")), -(year or 0), -len(pmid),
            tuple(-ord(c) for c in pmid))


def condition_name(condition: str | None) -> str:
    if not condition:
        return "a knee condition not named"
    return CONDITION_NAMES.get(condition, condition.replace("_", " "))


def condition_short(condition: str | None) -> str:
    if not condition:
        return "unnamed knee condition"
    return CONDITION_SHORT.get(condition, condition.replace("_", " "))


def design_name(design: str | None) -> str:
    return DESIGN_NAMES.get(design or "", "study of unknown design")


def number_word(n: int) -> str:
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else str(n)


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def cap(text: str) -> str:
    """Sentence start: 'One trial ...' rather than '1 trial ...'."""
    return "One" + text[1:] if text.startswith("1 ") else text[:1].upper() + text[1:]


def join_words(items: Iterable[str], last: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def weeks_text(weeks: float | None) -> str | None:
    """Weeks as a plain span of time: '3 weeks', '6 months', '1 day'; exact units only, else 'about'."""
    if weeks is None or (isinstance(weeks, float) and math.isnan(weeks)):
        return None
    if weeks <= 0:
        return "the end of a single session"
    days = weeks * 7
    if weeks < 1 and abs(days - round(days)) < 0.05:
        return plural(round(days), "day")
    # 13, 26, 39, 52 weeks are how 3, 6, 9, 12 months are written in weeks
    quarter = {13: 3, 26: 6, 39: 9, 52: 12, 78: 18, 104: 24}
    if round(weeks, 3) in quarter:
        m = quarter[round(weeks, 3)]
        return "1 year" if m == 12 else "2 years" if m == 24 else f"{m} months"
    months = weeks / 4.345
    if weeks >= 4 and abs(months - round(months)) < 0.01:
        return plural(round(months), "month")
    if abs(weeks - round(weeks)) < 0.01:
        return plural(round(weeks), "week")
    return f"about {round(weeks)} weeks" if weeks >= 2 else f"about {weeks:.1f} weeks"


def co_treatment(sentence: str | None) -> str | None:
    """What both groups got besides needling: the co-treatment named first in the comparator's sentence."""
    if not sentence:
        return None
    low = sentence.lower()
    found = [(m.start(), name) for name, pattern in CO_TREATMENTS for m in [re.search(pattern, low)] if m]
    return min(found)[1] if found else None


def has_text(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


# ------------------------------------------------------------------ per study


def flags(s: dict[str, Any]) -> list[str]:
    """Warning flags of a study card, most serious first."""
    out: list[str] = []
    design = s.get("design")
    if s.get("is_retracted"):
        out.append("retracted")
    if design == "protocol":
        out.append("trial plan, no results yet")
    if design == "pilot_rct" or (has_text(s.get("title")) and "pilot" in str(s["title"]).lower()):
        out.append("pilot")
    n = s.get("sample_size")
    if n is not None and n < SMALL_SAMPLE and design not in REVIEWS:
        out.append("small sample")
    fu = s.get("max_follow_up_weeks")
    if fu is not None and fu < SHORT_FOLLOW_UP_WEEKS and design != "protocol":
        out.append("short follow-up")
    if design in NO_CONTROL or (s.get("comparator") == "none" and design not in REVIEWS + ("protocol",)):
        out.append("no control group")
    return out


def counts_toward_results(s: dict[str, Any]) -> bool:
    return not s.get("is_retracted") and s.get("design") != "protocol"


def is_trial(s: dict[str, Any]) -> bool:
    return s.get("design") in RANDOMISED and counts_toward_results(s)


def intervention_words(s: dict[str, Any]) -> str:
    what = (s.get("intervention") or "dry needling").strip()
    muscles = [m for m in (s.get("muscles") or []) if m]
    if muscles:
        what += " of the " + join_words(muscles)
    return what


def compared_text(s: dict[str, Any]) -> str | None:
    """'Dry needling of the popliteus with exercise, compared with sham (pretend) needling with exercise.'"""
    design = s.get("design")
    if design in REVIEWS:
        return None
    comp = s.get("comparator")
    co = co_treatment(s.get("comparator_sentence")) if comp in ("sham", "placebo", "cointervention_only") else None
    what = intervention_words(s)
    if co:
        what += f" with {co}"
    what = what[0].upper() + what[1:]
    if comp in (None, "none") or design in NO_CONTROL:
        return f"{what}. There was no comparison group." if comp == "none" or design in NO_CONTROL else f"{what}."
    if comp == "cointervention_only" and co:
        return f"{what}, compared with {co} alone."
    other = COMPARATOR_NAMES.get(comp, comp.replace("_", " "))
    if co and comp in ("sham", "placebo"):
        other += f" with {co}"
    return f"{what}, compared with {other}."


def outcomes_text(s: dict[str, Any]) -> str | None:
    domains = [DOMAIN_NAMES.get(d, d.replace("_", " ")) for d in sorted(
        s.get("outcome_domains") or [], key=lambda d: DOMAIN_ORDER.index(d) if d in DOMAIN_ORDER else 99)]
    if not domains:
        return None
    return ("They will measure " if s.get("design") == "protocol" else "They measured ") + join_words(domains) + "."


def instruments_text(s: dict[str, Any]) -> str | None:
    inst = [i for i in (s.get("outcome_instruments") or []) if i]
    if not inst:
        return None
    return ", ".join(f"{i} ({INSTRUMENT_NAMES[i]})" if INSTRUMENT_NAMES.get(i, i) != i else i for i in inst)


def people_text(s: dict[str, Any]) -> str:
    n = s.get("sample_size")
    design = s.get("design")
    cond = condition_name(s.get("condition"))
    if design in REVIEWS:
        parts = []
        if s.get("n_studies"):
            parts.append(f"It looked at {plural(s['n_studies'], 'study', 'studies')}")
        if n:
            parts.append(("with " if parts else "It pooled ") + f"{n} people in total")
        return (" ".join(parts) + f" on {cond}.") if parts else "The number of studies and people is not given in the abstract."
    if n is None:
        return f"People with {cond}; the number is not given in the abstract."
    if design == "protocol":
        return f"It plans to include {n} people with {cond}."
    return f"{n} people with {cond}."


def timing_text(s: dict[str, Any]) -> str | None:
    parts = []
    tx = weeks_text(s.get("treatment_duration_weeks"))
    if tx and s.get("treatment_duration_weeks"):
        parts.append(f"Treatment lasted {tx}.")
    elif s.get("treatment_duration_weeks") == 0:
        parts.append("A single session.")
    fu = weeks_text(s.get("max_follow_up_weeks"))
    if fu:
        verb = "will be followed" if s.get("design") == "protocol" else "were followed"
        parts.append(f"People {verb} up to {fu}." if s.get("max_follow_up_weeks") else
                     "Results were measured right after the session.")
    return " ".join(parts) or None


def result_text(s: dict[str, Any]) -> str:
    design = s.get("design")
    d = s.get("direction")
    if design == "protocol":
        return "No results yet: this is a plan for a trial."
    if d is None:
        return "The result is not clear from the abstract."
    if d == "favours_dry_needling" and (design in NO_CONTROL or s.get("comparator") == "none"):
        return "People got better after treatment. With no control group, this cannot show that dry needling caused it."
    if d == "favours_dry_needling" and design in REVIEWS:
        return "The review's conclusion favoured dry needling."
    return DIRECTION_WORDS.get(d, "The result is not clear from the abstract.")


def side_effects_text(s: dict[str, Any]) -> str:
    ae = s.get("adverse_events")
    if ae == "none_reported":
        return "The abstract says there were no side effects."
    if ae == "reported":
        return "The abstract reports side effects (see the quote below)."
    return "Side effects are not mentioned in the abstract."


# ------------------------------------------------------------------ supports and cautions


@dataclass
class Statement:
    text: str
    pmids: list[str] = field(default_factory=list)


def _pmids(studies: Iterable[dict[str, Any]]) -> list[str]:
    return [s["pmid"] for s in sorted(studies, key=card_sort_key)]


def _favours(s: dict[str, Any]) -> bool:
    return s.get("direction") == "favours_dry_needling"


def domain_tallies(studies: list[dict[str, Any]]) -> list[tuple[list[str], list[dict], list[dict]]]:
    """Outcome domains (in DOMAIN_ORDER) with the trials that measured them and those of them favouring
    dry needling; domains measured by exactly the same trials are grouped, so each sentence is new."""
    trials = [s for s in studies if is_trial(s)]
    groups: dict[tuple[str, ...], list[str]] = {}
    for dom in DOMAIN_ORDER:
        if dom == "adverse_events":
            continue
        measured = tuple(s["pmid"] for s in trials if dom in (s.get("outcome_domains") or []))
        if measured:
            groups.setdefault(measured, []).append(dom)
    out = []
    for pmids, doms in groups.items():
        measured = [s for s in trials if s["pmid"] in pmids]
        out.append((doms, measured, [s for s in measured if _favours(s)]))
    return out


def domains_words(domains: list[str]) -> str:
    return join_words([DOMAIN_NAMES.get(d, d.replace("_", " ")) for d in domains])


def tally_sentence(domains: list[str], measured: list[dict], fav: list[dict], rest: list[str] = ()) -> str:
    """'Of the 5 trials that measured pain, 4 reported results favouring dry needling[, 1 ...].'"""
    what = domains_words(domains)
    n, k = len(measured), len(fav)
    if n == 1:
        return f"One trial measured {what}. It " + (
            "reported results favouring dry needling." if k else
            (rest[0].split(" ", 1)[1] if rest else "gave no clear result") + ".")
    if k == n:
        return f"{'Both' if n == 2 else f'All {n}'} trials that measured {what} reported results favouring dry needling."
    return (f"Of the {n} trials that measured {what}, "
            + join_words([f"{k if k else 'none'} reported results favouring dry needling", *rest]) + ".")


def supports_and_cautions(studies: list[dict[str, Any]], condition: str | None,
                          other_conditions: dict[str, int] | None = None, *, area: str = "knee",
                          conditions: Iterable[str] | None = None) -> tuple[list[Statement], list[Statement]]:
    """The statements a writer may make, and the cautions, each with the PMIDs behind it.

    ``studies`` are the relevant studies of the brief (retracted ones included: they become cautions).
    ``other_conditions`` (overview only) maps each condition with studies to its number of trials;
    ``conditions`` are the topic's (the knee's when None), of the body part ``area`` names.
    """
    supports: list[Statement] = []
    cautions: list[Statement] = []
    usable = [s for s in studies if counts_toward_results(s)]
    trials = [s for s in usable if is_trial(s)]
    topic = condition_short(condition) if condition else f"{area} problems"

    if trials:
        supports.append(Statement(
            f"Dry needling for {topic} has been tested in {plural(len(trials), 'randomised trial')}.", _pmids(trials)))
    for doms, measured, fav in domain_tallies(usable):
        if len(fav) > MAJORITY * len(measured):
            supports.append(Statement(tally_sentence(doms, measured, fav), _pmids(fav)))
        else:
            it = "it" if len(doms) == 1 else "them"
            if len(measured) == 1:
                tally = f"The one trial that measured {it} did not report results favouring dry needling."
            elif not fav:
                tally = f"None of the {len(measured)} trials that measured {it} reported results favouring dry needling."
            else:
                tally = (f"Only {len(fav)} of the {len(measured)} trials that measured {it} reported results "
                         f"favouring dry needling.")
            cautions.append(Statement(f"Do not say dry needling improves {domains_words(doms)}. {tally}",
                                      _pmids(measured)))

    sham = [s for s in trials if s.get("comparator") in ("sham", "placebo")]
    if sham:
        fav = [s for s in sham if _favours(s)]
        supports.append(Statement(
            f"{cap(plural(len(sham), 'trial'))} compared dry needling with a sham or placebo. " + (
                ("It reported" if fav else "It did not report") if len(sham) == 1 else
                f"{len(fav) or 'None'} of them reported") + " results favouring dry needling.", _pmids(sham)))
    elif trials:
        cautions.append(Statement(
            "No trial here compared dry needling with sham needling. Part of the effect may be a placebo effect.",
            _pmids(trials)))

    none_ae = [s for s in usable if s.get("adverse_events") == "none_reported"]
    some_ae = [s for s in usable if s.get("adverse_events") == "reported"]
    if none_ae:
        supports.append(Statement(
            f"{cap(plural(len(none_ae), 'study', 'studies'))} said there were no side effects.", _pmids(none_ae)))
    if some_ae:
        cautions.append(Statement(
            f"{cap(plural(len(some_ae), 'study', 'studies'))} reported side effects. Mention them.", _pmids(some_ae)))
    silent = [s for s in usable if s.get("adverse_events") in (None, "not_mentioned") and s.get("design") not in REVIEWS]
    if silent and not none_ae and not some_ae:
        cautions.append(Statement("No abstract here says whether there were side effects. Do not say it is safe.",
                                  _pmids(silent)))

    with_fu = [s for s in usable if s.get("max_follow_up_weeks") is not None and s.get("design") not in REVIEWS]
    if with_fu:
        longest = max(s["max_follow_up_weeks"] for s in with_fu)
        top = [s for s in with_fu if s["max_follow_up_weeks"] == longest]
        cautions.append(Statement(
            f"Do not say the effects last longer than {weeks_text(longest)}. No study here followed people longer.",
            _pmids(top)))
    elif usable:
        cautions.append(Statement("No abstract here says how long people were followed. Do not claim lasting effects.",
                                  []))

    if usable and not trials:
        cautions.append(Statement(
            f"There is no randomised trial here for {topic}. Say that the evidence is early.", _pmids(usable)))
    if len(trials) == 1:
        cautions.append(Statement("All trial results come from one trial. Say so.", _pmids(trials)))
    small = [s for s in trials if s.get("sample_size") is not None and s["sample_size"] < SMALL_SAMPLE]
    if trials and len(small) > MAJORITY * len(trials):
        cautions.append(Statement(
            f"Most trials were small (fewer than {SMALL_SAMPLE} people). Say the results are early.", _pmids(small)))
    low = [s for s in usable if s.get("certainty") in ("low", "very_low")]
    if low:
        cautions.append(Statement(
            "A review rated its confidence in the evidence as low or very low.", _pmids(low)))

    cautions.append(Statement(
        f"Do not say dry needling cures, reverses or repairs {topic}. No study here measured that.", []))
    cautions.append(Statement(
        f"Do not say trigger points cause most {area} pain. No study here measured that.", []))

    if other_conditions is not None:
        wanted = list(conditions or KNEE_CONDITIONS)
        order = KNEE_CONDITIONS if set(wanted) == set(KNEE_CONDITIONS) else wanted  # the knee's in the words' order
        missing = [c for c in order if not other_conditions.get(c)]
        if missing:
            cautions.append(Statement(
                "There is no randomised trial here for " + join_words((condition_short(c) for c in missing), "or")
                + ". Do not carry results over to them.", []))

    plans = [s for s in studies if s.get("design") == "protocol" and not s.get("is_retracted")]
    if plans:
        cautions.append(Statement(
            f"{cap(plural(len(plans), 'trial plan'))} has no results yet. Do not cite it as a finding."
            if len(plans) == 1 else
            f"{len(plans)} trial plans have no results yet. Do not cite them as findings.", _pmids(plans)))
    retracted = [s for s in studies if s.get("is_retracted")]
    if retracted:
        cautions.append(Statement(
            "Do not cite retracted studies." if len(retracted) > 1 else "Do not cite the retracted study.",
            _pmids(retracted)))
    return supports, cautions
