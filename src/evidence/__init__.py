"""evidence: a living evidence warehouse for dry needling in knee conditions."""

import os as _os

# polars allocates through its own jemalloc, which by default keeps freed pages for 10 s before
# giving them back: in a long load that is several chunks' worth of frames held for nothing
# (~100 MB in the run's process and its workers at 100,000 records). Half a second costs no
# measurable CPU. Read when polars first allocates, so it is set before anything imports polars;
# an explicit _RJEM_MALLOC_CONF in the environment wins.
_os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")
