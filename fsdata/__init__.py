"""france-services-data: the France services network's open-data warehouse."""

import os

# polars' allocator (jemalloc) keeps the pages a frame freed for 10 s by default: a 10 M-row
# feed's read and validation then hold ~1 GiB they no longer use, and the next step's memory
# comes on top. A tenth of a second costs nothing measurable here (benchmarks/RESULTS.md).
# Read when polars first allocates: the CLI imports this package first. A value set in the
# environment is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")
