"""Chunked N-d arrays: cut any numpy array into a grid of chunks in one copy
(:func:`chunk`, :func:`tobytes`) and put chunks back together (:func:`frombytes`).

The kernels are C++ (``include/segpack/chunking.h``); this module checks the
arguments and hands the arrays over as (address, shape, strides, itemsize), so
every dtype but ``object`` works and any memory layout is read in place.

Output memory: :func:`chunk` writes into one block from a recycling arena
(blocks of 1 MiB and more are mapped with transparent huge pages requested;
a block released by an earlier result is reused by the next call of a similar
size, up to 4 blocks and 1 GiB kept idle), so a loop of calls does not pay a
page fault per page on every call.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex, Union

import numpy as np

from . import _core

if TYPE_CHECKING:
    from numpy.typing import DTypeLike, NDArray
    from typing_extensions import Buffer

    from ._core import BufferSegment, BufferWithSegments

    _ChunkSize = Union[Sequence[SupportsIndex | float], "NDArray[Any]", SupportsIndex]

__all__ = ["Chunks", "chunk", "frombytes", "tobytes"]


class Chunks:
    """The result of :func:`chunk`: every chunk in one buffer, with its grid
    coordinates and bounding box beside it.

    ``chunks[i]`` / ``iter(chunks)`` give the chunks as zero-copy
    ``BufferSegment`` objects; ``buffer`` is the ``BufferWithSegments``
    (segment i = chunk i, one allocation); ``grid_coords`` is an int64 array of
    shape (n, ndim) and ``bboxes`` one of shape (n, 2, ndim) holding each
    chunk's start and stop, clipped to the array (also for ``edges="pad"``).
    ``shape``, ``chunk_size``, ``dtype``, ``order``, ``grid``, ``edges`` and
    ``grid_shape`` describe the layout; ``frombytes(chunks)`` takes it back.
    """

    buffer: BufferWithSegments
    grid_coords: NDArray[np.int64]
    bboxes: NDArray[np.int64]
    shape: tuple[int, ...]
    chunk_size: tuple[int, ...]
    dtype: np.dtype[Any]
    order: str
    grid: str
    edges: str
    grid_shape: tuple[int, ...]

    def __init__(
        self,
        buffer: BufferWithSegments,
        grid_coords: NDArray[np.int64],
        bboxes: NDArray[np.int64],
        shape: tuple[int, ...],
        chunk_size: tuple[int, ...],
        dtype: np.dtype[Any],
        order: str,
        grid: str,
        edges: str,
        grid_shape: tuple[int, ...],
    ) -> None:
        """Made by :func:`chunk`; holds what it returns (see the class docstring)."""
        self.buffer = buffer
        self.grid_coords = grid_coords
        self.bboxes = bboxes
        self.shape = shape
        self.chunk_size = chunk_size
        self.dtype = dtype
        self.order = order
        self.grid = grid
        self.edges = edges
        self.grid_shape = grid_shape

    def __len__(self) -> int:
        """len(c): the number of chunks."""
        return len(self.buffer)

    def __getitem__(self, i: SupportsIndex) -> BufferSegment:
        """c[i]: chunk i as a zero-copy BufferSegment. Raises IndexError when out of range."""
        seg = self.buffer[i]
        assert not isinstance(seg, type(self.buffer))
        return seg

    def __iter__(self) -> Iterator[BufferSegment]:
        """iter(c): every chunk, in grid order, as a BufferSegment."""
        return iter(self.buffer)

    def __repr__(self) -> str:
        """A summary: count, shape, chunk size, dtype and layout."""
        return (
            f"Chunks(n={len(self)}, shape={self.shape}, chunk_size={self.chunk_size}, dtype={self.dtype}, "
            f"order={self.order!r}, grid={self.grid!r}, edges={self.edges!r})"
        )


def _array(image: Any, name: str = "image") -> np.ndarray[Any, Any]:
    a: np.ndarray[Any, Any] = np.asarray(image)  # an ndarray as it is (no copy)
    if a.dtype.hasobject:
        raise TypeError(f"{name} has dtype {a.dtype}: arrays of Python objects cannot be chunked")
    if a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    return a


def _chunk_size(chunk_size: Any, ndim: int) -> list[int]:
    if isinstance(chunk_size, (str, bytes)):
        raise TypeError(f"chunk_size must be a sequence of integers, not {type(chunk_size).__name__}")
    try:
        values = (
            list(np.asarray(chunk_size).reshape(-1))
            if not isinstance(chunk_size, Sequence)
            else list(chunk_size)
        )
    except TypeError:
        raise TypeError(
            f"chunk_size must be a sequence of integers, not {type(chunk_size).__name__}"
        ) from None
    if len(values) != ndim:
        raise ValueError(
            f"chunk_size {tuple(values)} has {len(values)} values for an array of {ndim} dimensions"
        )
    out = []
    for v in values:
        if isinstance(v, (float, np.floating)):
            if not float(v).is_integer():
                raise ValueError(f"chunk_size {tuple(values)} must hold whole numbers")
            v = int(v)
        try:
            iv = operator.index(v)
        except TypeError:
            raise TypeError(f"chunk_size must hold integers, not {type(v).__name__}") from None
        if iv < 1:
            raise ValueError(f"chunk_size {tuple(values)} must be positive in every dimension")
        out.append(iv)
    return out


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, not {value!r}")
    return value


def _address(a: np.ndarray[Any, Any]) -> int:
    return int(a.__array_interface__["data"][0])


def chunk(
    image: NDArray[Any],
    chunk_size: _ChunkSize,
    *,
    order: str = "C",
    grid: str = "F",
    edges: str = "error",
    fill: Any = 0,
    threads: int = -1,
) -> Chunks:
    """Cuts ``image`` (any numpy array of 1 to 32 dimensions and any dtype but
    object, in any memory layout) into a grid of chunks of ``chunk_size``, in
    one copy, without the GIL, on the library's thread pool.

    ``order`` ("C" or "F") is the byte order inside each chunk; ``grid`` the
    order of the chunks: "F" (dimension 0 fastest, as fastremap.tobytes), "C"
    or "morton" (Z-order of the grid coordinates, dimension 0 in the lowest
    bit); ``edges`` what happens where chunk_size does not divide the shape:
    "error", "truncate" (edge chunks hold only the elements inside the array)
    or "pad" (full-size chunks, the rest set to ``fill``). ``threads``: < 0
    every pool worker, 0 or 1 the calling thread, n at most n.

    Returns a :class:`Chunks` (chunks in one BufferWithSegments, grid_coords,
    bboxes). Raises TypeError for an object array or a chunk_size that is not
    a sequence of integers; ValueError for a chunk_size of the wrong length or
    below 1, an unknown order, grid or edges, a fill value that does not fit
    the dtype, or (edges="error") a chunk_size that does not divide the shape.
    """
    a = _array(image)
    cs = _chunk_size(chunk_size, a.ndim)
    _check_choice("order", order, ("C", "F"))
    _check_choice("grid", grid, ("F", "C", "morton"))
    _check_choice("edges", edges, ("error", "truncate", "pad"))
    try:
        zero = type(fill) is int and fill == 0  # the default: zero bytes, for every dtype
        fill_bytes = b"" if edges != "pad" or zero else np.array(fill, dtype=a.dtype).tobytes()
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"fill {fill!r} does not fit dtype {a.dtype}: {e}") from None
    buf, coords, boxes, grid_shape = _core.chunk_strided(
        _address(a), a.shape, a.strides, a.itemsize, cs, order, grid, edges, fill_bytes, threads
    )
    nd = a.ndim
    grid_coords = np.frombuffer(coords, dtype=np.int64).reshape(-1, nd)
    bboxes = np.frombuffer(boxes, dtype=np.int64).reshape(-1, 2, nd)
    return Chunks(
        buf, grid_coords, bboxes, a.shape, tuple(cs), a.dtype, order, grid, edges, tuple(grid_shape)
    )


def tobytes(image: NDArray[Any], chunk_size: _ChunkSize, order: str = "C") -> list[bytes]:
    """A drop-in for ``fastremap.tobytes``: ``image`` cut into chunks of
    ``chunk_size``, each its own bytes object, the grid enumerated in Fortran
    order (dimension 0 fastest), ``order`` ("C" or "F") the byte order inside
    each chunk; chunk i equals ``image[box].tobytes(order)``. Any dimensionality
    and dtype but object; no GIL held while copying; every pool worker used.

    Returns the list of bytes (empty for an array with a zero-size dimension).
    Raises ValueError where fastremap does (a chunk_size that does not divide
    the shape, of the wrong length or with a zero; an order other than "C" or
    "F") and also for a negative chunk size (fastremap returns []); TypeError
    for an object array.
    """
    a = _array(image)
    if order not in ("C", "F"):
        raise ValueError(f"order must be C or F. Got: {order}")
    cs = _chunk_size(chunk_size, a.ndim)
    return _core.tobytes_strided(_address(a), a.shape, a.strides, a.itemsize, cs, order, -1)


def _region(region: Any, shape: tuple[int, ...]) -> tuple[list[int], tuple[int, ...]]:
    if not isinstance(region, tuple):
        region = (region,)
    if len(region) > len(shape):
        raise ValueError(f"region has {len(region)} slices for an array of {len(shape)} dimensions")
    region = region + (slice(None),) * (len(shape) - len(region))
    start, size = [], []
    for d, (s, n) in enumerate(zip(region, shape)):
        if not isinstance(s, slice):
            raise TypeError(f"region must be a tuple of slices, not {type(s).__name__} in dimension {d}")
        if s.step not in (None, 1):
            raise ValueError(f"region slices must have step 1 (dimension {d})")
        lo = 0 if s.start is None else operator.index(s.start)
        hi = n if s.stop is None else operator.index(s.stop)
        if not 0 <= lo <= hi <= n:
            raise ValueError(f"region {s} is outside dimension {d} of size {n}")
        start.append(lo)
        size.append(hi - lo)
    return start, tuple(size)


def frombytes(
    chunks: Chunks | BufferWithSegments | Sequence[Buffer | NDArray[Any]],
    shape: Sequence[SupportsIndex] | None = None,
    chunk_size: _ChunkSize | None = None,
    dtype: DTypeLike | None = None,
    *,
    order: str | None = None,
    grid: str | None = None,
    edges: str | None = None,
    out: NDArray[Any] | None = None,
    region: Any = None,
    threads: int = -1,
) -> NDArray[Any]:
    """The inverse of :func:`chunk` / :func:`tobytes`: assembles the array of
    ``shape`` and ``dtype`` from ``chunks`` (a list of bytes-like objects, a
    BufferWithSegments, or a :class:`Chunks`, whose layout then fills in every
    argument left as None), cut with ``chunk_size``, ``order`` (default "C"),
    ``grid`` (default "F") and ``edges`` (default "error").

    ``region`` (a tuple of slices with step 1, inside the array) assembles only
    that box, reading only the chunks that intersect it. ``out`` (a writable
    array of the right dtype and shape, any layout) receives the result instead
    of a new C-contiguous array. ``threads`` as in :func:`chunk`.

    Returns the assembled array (``out`` when given). Raises TypeError for a
    missing shape, chunk_size or dtype, an object dtype, a chunk that is not
    bytes-like or an ``out`` of another dtype; ValueError for the wrong number
    of chunks, a chunk of the wrong size, an ``out`` of the wrong shape or
    read-only, a region out of bounds, and the bad arguments :func:`chunk` rejects.
    """
    if isinstance(chunks, Chunks):
        shape = chunks.shape if shape is None else shape
        chunk_size = chunks.chunk_size if chunk_size is None else chunk_size
        dtype = chunks.dtype if dtype is None else dtype
        order = chunks.order if order is None else order
        grid = chunks.grid if grid is None else grid
        edges = chunks.edges if edges is None else edges
        data: Any = chunks.buffer
    else:
        data = chunks
    if shape is None or chunk_size is None or dtype is None:
        raise TypeError("frombytes needs shape, chunk_size and dtype (unless chunks is a segpack.Chunks)")
    order = _check_choice("order", "C" if order is None else order, ("C", "F"))
    grid = _check_choice("grid", "F" if grid is None else grid, ("F", "C", "morton"))
    edges = _check_choice("edges", "error" if edges is None else edges, ("error", "truncate", "pad"))
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise TypeError(f"dtype {dt}: arrays of Python objects cannot be assembled")
    shp = tuple(operator.index(n) for n in shape)
    if not shp or any(n < 0 for n in shp):
        raise ValueError(f"shape {shp} must have at least one dimension and no negative size")
    cs = _chunk_size(chunk_size, len(shp))
    if region is None:
        start: list[int] = []
        rshape = shp
    else:
        start, rshape = _region(region, shp)
    if out is None:
        out = np.empty(rshape, dtype=dt)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, not {type(out).__name__}")
        if out.dtype != dt:
            raise TypeError(f"out has dtype {out.dtype}, the chunks {dt}")
        if out.shape != rshape:
            raise ValueError(f"out has shape {out.shape}, expected {rshape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        raise TypeError(
            "chunks must be a list of bytes-like objects or a BufferWithSegments, not one bytes object"
        )
    if not isinstance(data, _core.BufferWithSegments) and not isinstance(data, Sequence):
        data = list(data)
    _core.assemble_strided(
        _address(out), out.shape, out.strides, dt.itemsize, shp, cs, order, grid, edges, start, data, threads
    )
    return out
