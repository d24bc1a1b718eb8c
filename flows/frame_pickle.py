"""The pickle library of cached task results (Prefect's `PickleSerializer(picklelib=…)`).

Plain pickle, except that every polars DataFrame inside a result (alone, in a dict, in a
dataclass) is stored as zstd Parquet: a parsed 10-million-row footfall feed takes a few tens
of MB instead of the gigabytes of its pickled Arrow buffers.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import polars as pl


def _frame_from_parquet(data: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(data))


class _FramePickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, pl.DataFrame):
            buffer = io.BytesIO()
            obj.write_parquet(buffer, compression="zstd")
            return _frame_from_parquet, (buffer.getvalue(),)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _FramePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)
