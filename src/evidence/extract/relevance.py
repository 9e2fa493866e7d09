"""Is the record about dry needling for a knee condition in people who have it?

Also the condition studied, the needling technique (``intervention``) and the muscles needled.
"""

from __future__ import annotations

import polars as pl

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
KNEE = ["tka", "acl", "patellar_tendinopathy", "itbs", "pfps", "knee_oa", "knee_pain_nonspecific"]

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
_MUSCLE_RE = r"(?-u:\b)(" + "|".join(m.replace(" ", " ") for m in sorted(MUSCLES, key=len, reverse=True)) + r")s?(?-u:\b)"
# surface forms -> names ("hamstrings" -> "hamstring"), a lookup rather than a regex per element
_MUSCLE_NAMES = {m + "s": m for m in MUSCLES} | {"quadricep": "quadriceps", "quadricepss": "quadriceps"}
_NEEDLE_SENT = r"needl|(?-u:\b)dn(?-u:\b)|trp-?dn|(?-u:\b)ims(?-u:\b)"

_TECHNIQUE = (r"((?:(?:ultrasound[\s-]guided|periosteal|intra-?articular|electrical|percutaneous|superficial|deep"
              r"|trigger[\s-]point|myofascial|tendon|and|or)\s+)*dry needling|intramuscular (?:electrical )?"
              r"stimulation|electro-?acupuncture|acupuncture|percutaneous (?:needle )?electrolysis)")


def condition_expr(text: pl.Expr) -> pl.Expr:
    """The first condition (in CONDITIONS order) whose pattern matches ``text`` (lower case), else null."""
    out = pl.lit(None, pl.String)
    for label, pat in reversed(CONDITIONS):
        out = pl.when(text.str.contains(pat)).then(pl.lit(label)).otherwise(out)
    # "osteoarthritis" in a record that otherwise names the knee
    return pl.when(out.is_null() & text.str.contains(_OA) & text.str.contains(_KNEE_WORD)).then(
        pl.lit("knee_oa")).otherwise(out)


def relevance_features(base: pl.LazyFrame, sents: pl.LazyFrame) -> pl.LazyFrame:
    """Per record: condition (+source, span), dry-needling and exclusion flags, intervention, muscles."""
    needle_sent = pl.col("l").str.contains(_NEEDLE_SENT)
    s = sents.with_columns(cond=condition_expr(pl.col("l")), _dn_s=pl.col("s").str.contains(DRY_NEEDLING),
                           _mus=pl.when(needle_sent).then(pl.col("l").str.extract_all(_MUSCLE_RE)))
    # A background sentence ("knee OA is common ...") counts less than the title and the aims.
    rank = (pl.when(pl.col("src") == "title").then(0)
            .when(pl.col("kind") == "background").then(2).otherwise(1))
    agg = (s.with_columns(rank=rank)
           .sort("_r", "rank", "_i")
           .group_by("_r").agg(
               pl.col("cond").drop_nulls().first().alias("condition"),
               pl.col("src").filter(pl.col("cond").is_not_null()).first().alias("condition_source"),
               pl.col("s").filter(pl.col("cond").is_not_null()).first().alias("condition_span"),
               pl.col("cond").drop_nulls().n_unique().alias("_n_cond"),
               pl.col("s").filter(pl.col("_dn_s")).first().alias("_dn_span"),
               pl.col("src").filter(pl.col("_dn_s")).first().alias("_dn_src"),
               pl.col("_mus").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().alias("_muscles"),
               pl.col("s").filter(pl.col("_mus").list.len() > 0).first().alias("muscles_span"),
           ))
    doc = pl.concat_str([pl.col("title").fill_null(""), pl.col("abstract").fill_null("")], separator=" ")
    title = pl.col("title").fill_null("")
    flags = base.select(
        "_r",
        doc.str.contains(DRY_NEEDLING).alias("_dn"),
        title.str.contains(DRY_NEEDLING).alias("_dn_title"),
        doc.str.count_matches(DRY_NEEDLING).alias("_dn_n"),
        title.str.contains(ACUPUNCTURE).alias("_acu_title"),
        doc.str.count_matches(ACUPUNCTURE).alias("_acu_n"),
        doc.str.contains(HEALTHY).alias("_healthy"),
        doc.str.contains(INJECTION_COMBINED).alias("_inject"),
        title.str.contains(ELECTROLYSIS).alias("_pe_title"),
        doc.str.to_lowercase().str.extract(_TECHNIQUE, 1).alias("intervention"),
        pl.when(title.str.to_lowercase().str.contains(_TECHNIQUE)).then(pl.lit("title"))
        .when(doc.str.to_lowercase().str.contains(_TECHNIQUE)).then(pl.lit("abstract")).alias("intervention_source"),
    )
    return flags.join(agg, on="_r", how="left").with_columns(
        pl.col("_muscles").list.eval(pl.element().replace_strict(_MUSCLE_NAMES, default=pl.element()))
        .list.unique(maintain_order=True).fill_null([]).alias("muscles"))


def relevant_expr() -> pl.Expr:
    """Relevance from the joined features (see ``relevance_features``) and the condition."""
    knee = pl.col("condition").is_in(KNEE)
    acupuncture_study = (pl.col("_acu_title") & ~pl.col("_dn_title")) | (pl.col("_acu_n") > pl.col("_dn_n") * 2)
    electrolysis_alone = pl.col("_pe_title") & ~pl.col("_dn_title") & (pl.col("_dn_n") < 2)
    return (pl.col("_dn") & knee & ~pl.col("_healthy") & ~pl.col("_inject") & ~acupuncture_study
            & ~electrolysis_alone).fill_null(False)
