"""Is the record about dry needling for one of the topic's conditions in people who have it?

Also the condition studied, the needling technique (``intervention``) and the muscles needled.
The topic's conditions (``KNEE`` unless the topic file lists others, ``fetch.topic_scope``)
decide relevance and are read first when a record names several conditions.
"""

from __future__ import annotations

import polars as pl

from .text import ascii_classes, bare, cue_stages, masked, tagged

# Dry needling and its named forms (intramuscular stimulation, TrP-DN, PIEDN ...).
DRY_NEEDLING = (r"(?i)(?-u:\b)dry[\s-]*need(?:l)?(?:ing|ed|e)(?-u:\b)|(?-u:\b)intramuscular (?:electrical )?stimulation(?-u:\b)"
                r"|(?-u:\b)trp-?dn(?-u:\b)|(?-u:\b)mtrp-?dn(?-u:\b)|(?-u:\b)piedn(?-u:\b)|(?-u:\b)ug-dn(?-u:\b)|(?-u:\b)filiform need")
ACUPUNCTURE = r"(?i)acupunct|electro-?acupunct|(?-u:\b)moxibust"
ELECTROLYSIS = r"(?i)electrolysis|(?-u:\b)EPI(?-u:\b)|(?-u:\b)PNE(?-u:\b)"
HEALTHY = (r"(?i)(?-u:\b)(?:healthy|asymptomatic|pain-free)\s+(?:\w+\s+){0,2}(?:subjects|volunteers|participants|"
           r"individuals|adults|people|students|men|women|athletes|persons)|(?-u:\b)cadaver")
# Dry needling combined with an injectate into the same site (not compared with it).
INJECTION_COMBINED = (r"(?i)(?-u:\b)dry needling\s+(?:and|with|plus|combined with|followed by)\s+(?:\w+\s+){0,3}"
                      r"(?:injection|injectate|prolotherapy|prp)(?-u:\b)")

# (label, pattern), most specific first; knee conditions before other regions so that
# "hip or knee osteoarthritis" reads as knee OA.
CONDITIONS: list[tuple[str, str]] = [
    ("tka", r"knee (?:arthroplasty|replacement)|(?-u:\b)tka(?-u:\b)|(?-u:\b)tkr(?-u:\b)|(?-u:\b)total knee"),
    ("acl", r"anterior cruciate|(?-u:\b)acl[rs]?(?-u:\b)"),
    ("patellar_tendinopathy", r"patellar tend(?:in|on)|jumper[’'`s]*\s*knee|patellar tendinosis"),
    ("itbs", r"iliotibial band (?:friction )?syndrome|(?-u:\b)itbs(?-u:\b)"),
    ("pfps", r"patell?o-?femoral|anterior knee pain|(?-u:\b)pfps?(?-u:\b)|chondromalacia"),
    ("knee_oa", r"(?:knee|tibiofemoral)(?: joint)? osteoarthritis|osteoarthritis (?:of|in) the knee"
                r"|(?-u:\b)koa(?-u:\b)|(?-u:\b)knee oa(?-u:\b)|gonarthrosis|osteoarthritic knee"),
    ("knee_pain_nonspecific", r"(?-u:\b)knee (?:pain|disorders?|(?:joint )?diseases?|conditions?|injur(?:y|ies)"
                              r"|problems?|complaints?)|(?-u:\b)knees? (?:that|with) (?:pain|hurt)"),
    ("neck_pain", r"(?-u:\b)neck pain|cervical pain|whiplash|(?-u:\b)neck disability"),
    ("shoulder_pain", r"(?-u:\b)shoulder (?:pain|impingement)|rotator cuff|subacromial|frozen shoulder"),
    ("low_back_pain", r"low(?:er)?[\s-]back pain|(?-u:\b)lbp(?-u:\b)|lumbar pain"),
    ("plantar_heel_pain", r"plantar (?:heel|fasci)|heel pain"),
    ("hip_pain", r"(?-u:\b)hip (?:pain|osteoarthritis)|greater trochanter|(?-u:\b)femoroacetabular"),
]
KNEE = ("tka", "acl", "patellar_tendinopathy", "itbs", "pfps", "knee_oa", "knee_pain_nonspecific")
LABELS = tuple(label for label, _ in CONDITIONS)


def ordered(conditions: tuple[str, ...]) -> list[tuple[str, str]]:
    """``CONDITIONS`` with the topic's conditions first (each group in ``CONDITIONS`` order): a record
    on "neck and shoulder pain" reads as shoulder pain for a shoulder topic, as neck pain otherwise.
    For the knee conditions this is ``CONDITIONS`` itself."""
    wanted = set(conditions)
    return [c for c in CONDITIONS if c[0] in wanted] + [c for c in CONDITIONS if c[0] not in wanted]

# Osteoarthritis in a record that is otherwise about the knee.
_OA = r"osteoarthritis|(?-u:\b)oa(?-u:\b)"
_KNEE_WORD = r"(?-u:\b)knees?(?-u:\b)"

MUSCLES = [
    "vastus medialis obliquus", "vastus medialis", "vastus lateralis", "vastus intermedius",
    "quadriceps femoris", "quadriceps", "rectus femoris", "biceps femoris", "semitendinosus",
    "semimembranosus", "hamstring", "gastrocnemius", "soleus", "triceps surae", "popliteus",
    "gluteus medius", "gluteus maximus", "gluteus minimus", "tensor fasciae latae", "adductor longus",
    "adductor magnus", "sartorius", "gracilis", "piriformis", "iliopsoas", "quadratus lumborum",
    "tibialis anterior", "tibialis posterior", "peroneus longus", "fibularis longus",
    "upper trapezius", "trapezius", "levator scapulae", "sternocleidomastoid", "infraspinatus",
    "supraspinatus", "erector spinae", "multifidus", "patellar tendon", "quadriceps tendon",
    "iliotibial band",
]
_MUSCLE_RE = r"(?-u:\b)(?:" + "|".join(sorted(MUSCLES, key=len, reverse=True)) + r")(?-u:\b)"
# plural forms ("hamstrings") and "quadricep" become the names before extraction
_PLURAL = r"(?-u:\b)(" + "|".join(m for m in sorted(MUSCLES, key=len, reverse=True) if not m.endswith("s")) + r")s(?-u:\b)"
# every match of _MUSCLE_RE (after the plural forms are turned into names) holds one of these
_MUSCLE_GATE = "|".join(sorted({m.replace("quadriceps", "quadricep") for m in MUSCLES}))
_NEEDLE_SENT = r"needl|(?-u:\b)dn(?-u:\b)|trp-?dn|(?-u:\b)ims(?-u:\b)"

_TECHNIQUE = (r"((?:(?:ultrasound[\s-]guided|periosteal|intra-?articular|electrical|percutaneous|superficial|deep"
              r"|trigger[\s-]point|myofascial|tendon|and|or)\s+)*dry needling|intramuscular (?:electrical )?"
              r"stimulation|electro-?acupuncture|acupuncture|percutaneous (?:needle )?electrolysis)")
# every technique holds one of these words: the pattern, which may start with any of a list of
# words ("and", "or", ...), reads only the sentences that have one
_TECHNIQUE_WORD = r"dry needling|intramuscular|acupuncture|electrolysis"


def condition_expr(text: pl.Expr, conditions: tuple[str, ...] = KNEE) -> pl.Expr:
    """The first condition (in ``ordered(conditions)``) whose pattern matches ``text`` (lower case), else null."""
    # "osteoarthritis" in a record that otherwise names the knee (when no pattern matches)
    out = pl.when(text.str.contains(_OA) & text.str.contains(_KNEE_WORD)).then(pl.lit("knee_oa"))
    for label, pat in reversed(ordered(conditions)):
        out = pl.when(text.str.contains(pat)).then(pl.lit(label)).otherwise(out)
    return out


def sentence_columns(conditions: tuple[str, ...] = KNEE) -> list[dict[str, pl.Expr]]:
    """Per sentence: the condition named, a dry-needling mention, the muscles of a needling sentence."""
    cues = {name: pat for name, pat in CONDITIONS} | {"_oa": _OA, "_knee": _KNEE_WORD, "_needle": _NEEDLE_SENT}
    # (the cues found in a twentieth of the sentences or more: see ``text.cue_stages``)
    hit, flags = cue_stages("l", cues, "_k_", common=("_needle", "_knee", "pfps", "_oa", "knee_oa"))
    k, l = pl.col, pl.col("l")
    # the muscles are read in needling sentences that name one (a column of its own: it is read
    # twice, and polars computes an expression under a when/then once per use)
    muscle = {"_k_muscle": masked(k("_k__needle"), l).str.contains(_MUSCLE_GATE).fill_null(False)}
    cond = pl.lit(None, pl.String)
    for label, _ in reversed(ordered(conditions)):
        cond = pl.when(k(f"_k_{label}")).then(pl.lit(label)).otherwise(cond)
    # "osteoarthritis" in a sentence that otherwise names the knee
    cond = pl.when(cond.is_null() & k("_k__oa") & k("_k__knee")).then(pl.lit("knee_oa")).otherwise(cond)
    # A background sentence ("knee OA is common ...") counts less than the title and the aims.
    rank = (pl.when(pl.col("src") == "title").then(0)
            .when(pl.col("kind") == "background").then(2).otherwise(1))
    # (patterns on ``l``: ASCII classes, see ``text.ascii_classes``)
    final = {"cond": cond, "_dn_s": l.str.contains(ascii_classes(bare(DRY_NEEDLING))),
             "_mus": masked(k("_k_muscle"), l).str.replace_all(_PLURAL, "${1}")
             .str.replace_all(r"(?-u:\b)quadricep(?-u:\b)", "quadriceps").str.extract_all(_MUSCLE_RE),
             "_rank": rank, "_tech": masked(l.str.contains(_TECHNIQUE_WORD), l).str.extract(ascii_classes(_TECHNIQUE), 1)}
    return [hit, flags, muscle, final]


def _ranked_first(value: pl.Expr, mask: pl.Expr) -> pl.Expr:
    """``value`` in the first sentence under ``mask``: the title, then the aims and methods, then background."""
    return pl.coalesce(*[value.filter(mask & (pl.col("_rank") == r)).first() for r in (0, 1, 2)])


def aggregations() -> list[pl.Expr]:
    has = pl.col("cond").is_not_null()
    return [
        _ranked_first(pl.col("cond"), has).alias("condition"),
        _ranked_first(pl.col("s"), has).alias("condition_span"),
        _ranked_first(pl.col("s"), pl.col("_dn_s")).alias("_dn_span"),
        # the technique named first in the text (the title first)
        pl.col("_tech").drop_nulls().first().alias("intervention"),
        pl.col("s").filter(pl.col("_tech").is_not_null()).first().alias("intervention_span"),
        pl.col("_mus").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().alias("_muscles"),
        _ranked_first(pl.col("s"), pl.col("_mus").list.len() > 0).alias("muscles_span"),
    ]


def record_columns(conditions: tuple[str, ...] = KNEE) -> list[dict[str, pl.Expr]]:
    """Per record, over title and abstract (separate texts: no cue runs from one into the other) and
    the index terms: dry-needling and exclusion cues.

    Two stages: the index terms joined and the mention counts first, so that each is computed once
    (polars shares no expression between columns once it sits under a when/then).
    """
    title = pl.col("title").fill_null("")
    abstract = pl.col("abstract").fill_null("")
    either = lambda pat: title.str.contains(pat) | abstract.str.contains(pat)  # noqa: E731
    count = lambda pat: title.str.count_matches(pat) + abstract.str.count_matches(pat)  # noqa: E731
    # PubMed's index terms name the technique and the condition when a short abstract does not
    first = {"_mesh": pl.col("mesh_terms").fill_null([]).list.join("; "),
             "_kw": pl.col("keywords").fill_null([]).list.join("; "),
             "_dn_n": count(DRY_NEEDLING), "_acu_n": count(ACUPUNCTURE)}
    mesh, kw = pl.col("_mesh"), pl.col("_kw")
    return [first, {
        # (a mention counted is a mention found)
        "_dn": (pl.col("_dn_n") > 0) | mesh.str.contains(DRY_NEEDLING) | kw.str.contains(DRY_NEEDLING),
        # the index field that names the technique, as a span of it
        "_dn_index": pl.when(mesh.str.contains(DRY_NEEDLING)).then(tagged(mesh, "mesh_terms"))
        .when(kw.str.contains(DRY_NEEDLING)).then(tagged(kw, "keywords")),
        "_cond_mesh": condition_expr(mesh.str.to_lowercase(), conditions),
        "_cond_kw": condition_expr(kw.str.to_lowercase(), conditions),
        "_dn_title": title.str.contains(DRY_NEEDLING),
        "_acu_title": title.str.contains(ACUPUNCTURE),
        "_healthy": either(HEALTHY),
        "_inject": either(INJECTION_COMBINED),
        "_pe_title": title.str.contains(ELECTROLYSIS),
    }]


def muscles_expr() -> pl.Expr:
    """The muscles needled, by their names in ``MUSCLES``, in the order first named."""
    return pl.col("_muscles").list.unique(maintain_order=True).fill_null([])


def relevant_expr(conditions: tuple[str, ...] = KNEE) -> pl.Expr:
    """Relevance from the joined features (see ``record_columns``) and the condition: one of ``conditions``."""
    topic = pl.col("condition").is_in(list(conditions))
    acupuncture_study = (pl.col("_acu_title") & ~pl.col("_dn_title")) | (pl.col("_acu_n") > pl.col("_dn_n") * 2)
    electrolysis_alone = pl.col("_pe_title") & ~pl.col("_dn_title") & (pl.col("_dn_n") < 2)
    return (pl.col("_dn") & topic & ~pl.col("_healthy") & ~pl.col("_inject") & ~acupuncture_study
            & ~electrolysis_alone).fill_null(False)
