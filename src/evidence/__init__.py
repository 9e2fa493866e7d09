"""evidence: a living evidence warehouse for dry needling in knee conditions."""
