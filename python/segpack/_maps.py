"""Unpickling of the map types (MapBuffer, IntMap).

A map's ``__reduce_ex__`` names :func:`_rebuild` with the map's type, its data
(bytes, a ``pickle.PickleBuffer``, a file path or a range reader) and the
keyword arguments that differ from the constructor's defaults.
"""

from __future__ import annotations

import pickle
from typing import Any


def _rebuild(cls: Any, data: Any, options: dict[str, Any]) -> Any:
    """Returns ``cls(data, **options)``: the constructor's normal, validated open (raises what it raises).

    A map over a remote file (a ``segpack.remote.RemoteFile``, pickled as its URL and options) is
    opened on its first use instead, so unpickling reads nothing (a Dask task's argument is
    unpickled on the worker that uses it, and maybe elsewhere too)."""
    from .remote import RemoteFile

    if isinstance(data, RemoteFile):
        return cls._open_lazily(cls, data, options)
    if isinstance(data, pickle.PickleBuffer):
        data = data.raw()  # a memoryview: tobytes() then compares equal to bytes
    return cls(data, **options)
