-- Retracted or corrected articles, retraction notices and errata, with the linked notice or article.
-- relevant says whether the flagged article is one of the dry-needling-for-the-knee studies.
SELECT pmid, year, title, link_kind, ref_type, ref_pmid, linked_title, is_retracted, has_erratum, relevant
FROM retractions
ORDER BY relevant DESC NULLS LAST, pmid, ref_type;
