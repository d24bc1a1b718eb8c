"""france-services-data: the France services network's open-data warehouse."""

import os

# polars' allocator (jemalloc) keeps the pages a frame freed for a while (polars' own setting:
# dirty pages 0.5 s, then 1 s more): a 10 M-row feed's read (a ~2 GiB frame, and as much in
# transient copies) and validation then hold memory they no longer use when the next step's
# comes on top. Returned at once, the first load of such a feed peaks about 0.7 GiB lower for
# a few % more time (benchmarks/RESULTS.md). Read when polars is first imported: the CLI
# imports this package first. A value the user set is kept; polars' own default, which a
# parent process that imported polars passes on, is not a choice and is replaced.
_ALLOCATOR = "_RJEM_MALLOC_CONF"
_POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
if os.environ.get(_ALLOCATOR) in (None, _POLARS_DEFAULT):
    os.environ[_ALLOCATOR] = "dirty_decay_ms:0,muzzy_decay_ms:0"
