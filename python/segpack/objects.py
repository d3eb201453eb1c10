"""Out-of-band object serialization: Apache Fory's API on pickle protocol 5, safe by default.

    >>> import numpy as np, segpack
    >>> arrays = {"a": np.arange(10.0), "b": np.eye(3, order="F")}
    >>> buffers = []
    >>> payload = segpack.serialize(arrays, buffer_callback=buffers.append)
    >>> back = segpack.deserialize(payload, buffers=[b.getbuffer() for b in buffers])

The payload is a small header (docs/format/serialize.md) followed by a pickle protocol 5
stream. The header records how many out-of-band buffers the stream expects and the size of
each, so wrong buffers are reported before any object is built.

Loading is restricted by default: the stream may only name the globals of an allow-list
(builtins containers and scalars, what numpy needs for arrays, dtypes and scalars, pandas
frames, series and indexes, datetime, decimal, collections, segpack's own reconstructors)
plus what the caller allows. Anything else raises :class:`segpack.errors.UnsafeLoadError`
before its module is imported. ``trusted=True`` (``Serializer(strict=False)``) is plain pickle.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import struct
import sys
from collections.abc import Callable, Iterable
from typing import IO, Any

import numpy as np
import numpy.lib.format as _format

from . import _core
from .errors import (
    BufferMismatchError,
    LimitExceededError,
    SegpackError,
    UnsafeLoadError,
    UnsupportedFormatError,
    ValidationError,
)

__all__ = ["BufferObject", "Serializer", "serialize", "deserialize", "SAFE_GLOBALS"]

#: first four bytes of every payload
MAGIC = b"SPKO"
#: the payload format version this module writes (and the only one it reads)
VERSION = 1
_HEADER = struct.Struct("<4sB3xQ")  # magic, version, 3 reserved zero bytes, u64 buffer count
_PROTOCOL = 5
_ndarray = np.ndarray
_STR_ARRAY_MIN = 16  # smaller object arrays go through numpy's own reducer


# ---------------------------------------------------------------------------------------------
# buffer objects handed to the callback


class BufferObject:
    """One buffer of a serialized object, as handed to ``buffer_callback``.

    Wraps the ``pickle.PickleBuffer`` that pickle sends out-of-band. The memory is that of the
    serialized object itself (nothing is copied): keep the object alive, and unchanged, until the
    buffer has been used."""

    __slots__ = ("_pb", "_array")

    def __init__(self, pickle_buffer: pickle.PickleBuffer) -> None:
        """Wraps ``pickle_buffer`` (not copied). Returns None."""
        self._pb = pickle_buffer
        self._array: tuple[Any, tuple[int, ...]] | None = None  # (dtype, shape) of the array it holds

    def total_bytes(self) -> int:
        """Returns the size of the buffer in bytes."""
        return memoryview(self._pb).nbytes

    def raw(self) -> memoryview:
        """Returns a flat unsigned-byte memoryview of the memory (zero-copy). Raises BufferError
        when the memory is not contiguous (use ``getbuffer()`` then)."""
        return self._pb.raw()

    def getbuffer(self) -> memoryview:
        """Returns a flat unsigned-byte memoryview of the buffer: zero-copy when the memory is
        contiguous (always, for numpy arrays and bytes), otherwise a contiguous copy."""
        try:
            return self._pb.raw()
        except BufferError:
            with memoryview(self._pb) as m:
                return memoryview(m.tobytes())

    def write_to(self, stream: IO[bytes] | Any) -> None:
        """Writes the buffer's bytes to ``stream`` (anything with ``write``; ``write_buffer`` is
        used when the stream has it), handing it the memory itself, without an intermediate
        copy. Returns None."""
        view = self.getbuffer()
        write = getattr(stream, "write_buffer", None) or stream.write
        write(view)

    def __repr__(self) -> str:
        return f"<segpack.BufferObject {self.total_bytes()} bytes>"


# ---------------------------------------------------------------------------------------------
# reconstructors named in the stream (allow-listed)


# _rebuild_array(buf, dtype, shape, axes=None): rebuilds an array written by the reducer
# (``buf`` holds the elements in C order of the axes permuted by ``axes``; absent: C order) as
# a view of ``buf``, validating every argument (ValidationError otherwise). In C++
# (python/src/py_objects.cc), named here so that payloads name segpack.objects._rebuild_array.
_rebuild_array = _core.make_rebuild_array(sys.modules[__name__], np.ndarray, np.dtype, np.empty)


def _rebuild_dtype(descr: Any) -> Any:
    """Returns the numpy dtype of a .npy-header description (a str such as '<f8', or a list of
    fields). Raises ValidationError for anything else."""
    if type(descr) not in (str, list):
        raise ValidationError("segpack payload: a dtype description is neither a str nor a list")
    try:
        return _format.descr_to_dtype(descr)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as e:
        raise ValidationError(f"segpack payload: invalid dtype description ({e})") from None


def _object_array(items: list[Any], shape: Any) -> Any:
    """A new object array of ``shape`` holding ``items`` (a list) as they are."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item  # one by one: numpy would read a list or tuple item as a sequence
    return out.reshape(shape)


def _rebuild_object_array(items: Any, shape: Any) -> Any:
    """Rebuilds an object array written by the reducer from the list of its items in C order.
    Returns a new C-ordered object array of ``shape``. Raises ValidationError when the
    arguments do not describe one."""
    if type(items) is not list:
        raise ValidationError("segpack payload: an object array reconstructor has invalid arguments")
    try:
        return _object_array(items, shape)
    except (ValueError, TypeError) as e:
        raise ValidationError(
            f"segpack payload: an object array reconstructor does not describe its data ({e})"
        ) from None


def _rebuild_str_array(blob: Any, count: Any, shape: Any, at: Any = (), others: Any = None) -> Any:
    """Rebuilds an object array of ``count`` items written by the reducer: ``blob`` is the UTF-8
    encoding (lone surrogates kept) of its str items, each followed by a NUL; the items at the
    indexes ``at`` (empty strings in the blob) are ``others``. Returns a new C-ordered object
    array of ``shape``. Raises ValidationError when the arguments do not describe one."""
    if others is None:
        others = []
    if type(blob) is not bytes or type(count) is not int or type(at) is not tuple or type(others) is not list:
        raise ValidationError("segpack payload: a str array reconstructor has invalid arguments")
    try:
        items = blob.decode("utf-8", "surrogatepass").split("\0")
        if len(items) != count + 1 or items[-1]:
            raise ValueError(f"{len(items) - 1} strings where {count} were expected")
        if len(at) != len(others):
            raise ValueError(f"{len(at)} indexes for {len(others)} other items")
        del items[-1]
        out = np.empty(count, dtype=object)
        out[:] = items  # all str: numpy stores each as it is
        for i, item in zip(at, others):
            if type(i) is not int or not 0 <= i < count:
                raise ValueError(f"index {i!r} out of range")
            out[i] = item
        return out.reshape(shape)
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise ValidationError(
            f"segpack payload: a str array reconstructor does not describe its data ({e})"
        ) from None


def _reduce_object_array(arr: Any) -> Any:
    """(reconstructor, args) for an exact ndarray with objects. A str array (at least
    _STR_ARRAY_MIN items, str without NUL except at most 1/8 others such as missing values) is
    one encoded blob: pickle memoizes every element, which makes string columns its slowest
    part. Others are the list of their items, pickled as usual. Either way the array comes back
    C-ordered, and every item is loaded under the same restrictions as the rest."""
    if arr.dtype.kind != "O":  # a structured dtype with object fields: numpy's reducer
        return NotImplemented
    items = arr.ravel().tolist()
    if len(items) >= _STR_ARRAY_MIN:
        at = [i for i, item in enumerate(items) if type(item) is not str]
        if len(at) * 8 <= len(items):
            strs = items.copy()
            for i in at:
                strs[i] = ""
            joined = "\0".join(strs)
            if joined.count("\0") == len(strs) - 1:  # no item holds a NUL
                blob = (joined + "\0").encode("utf-8", "surrogatepass")
                if at:
                    others = [items[i] for i in at]
                    return (_rebuild_str_array, (blob, len(items), arr.shape, tuple(at), others))
                return (_rebuild_str_array, (blob, len(items), arr.shape))
    return (_rebuild_object_array, (items, arr.shape))


def _axis_order(arr: Any) -> tuple[int, ...] | None:
    """The permutation ``p`` such that ``arr.transpose(p)`` is C-contiguous, or None when there
    is none (the array is not contiguous in any axis order)."""
    order = sorted(range(arr.ndim), key=lambda i: (-abs(arr.strides[i]), -arr.shape[i]))
    perm = tuple(order)
    if arr.transpose(perm).flags.c_contiguous:
        return perm
    return None


class _Pickler(pickle.Pickler):
    """Pickler sending every non-object numpy array (any layout, 0-d to N-d) through
    segpack's reconstructor, as one PickleBuffer that can go out-of-band. (PickleBuffer objects
    themselves are handled by pickle: pickle calls no hook for them.) The common case (an exact
    C-contiguous array) and the buffer callback are C++ (``_core.ArrayReducer``); every other
    object goes to ``_reduce_other``."""

    def __init__(self, file: IO[bytes], buffer_callback: Callable[[BufferObject], Any] | None) -> None:
        descrs: dict[Any, Any] = {}
        self._arrays = _core.ArrayReducer(
            _ndarray, lambda obj: _reduce_other(obj, descrs), _rebuild_array, BufferObject, buffer_callback
        )
        super().__init__(
            file,
            protocol=_PROTOCOL,
            buffer_callback=None if buffer_callback is None else self._arrays.callback,
        )
        self.reducer_override = self._arrays  # type: ignore[method-assign]


def _reduce_other(obj: Any, descrs: dict[Any, Any]) -> Any:
    """The reducer_override of everything but exact C-contiguous arrays (see _Pickler)."""
    if type(obj) is not _ndarray:
        if isinstance(obj, np.dtype):
            return _reduce_dtype(obj, descrs)
        return NotImplemented
    if obj.dtype.hasobject:
        return _reduce_object_array(obj)
    return _reduce_array(obj)


def _reduce_dtype(dtype: Any, descrs: dict[Any, Any]) -> Any:
    # Through the .npy header's description, rebuilt by the dtype constructor: numpy's own
    # reducer ends in dtype.__setstate__, which trusts its state (a malformed one crashes).
    descr = descrs.get(dtype)
    if descr is None:
        try:
            descr = _format.dtype_to_descr(dtype)
            exact = _format.descr_to_dtype(descr) == dtype
        except (ValueError, TypeError):
            exact = False
        if not exact:  # e.g. a subarray dtype, or numpy's StringDType: numpy's reducer
            descrs[dtype] = NotImplemented
            return NotImplemented
        descrs[dtype] = descr
    elif descr is NotImplemented:
        return NotImplemented
    return (_rebuild_dtype, (descr,))


def _reduce_array(arr: Any) -> Any:
    dtype = arr.dtype
    if arr.flags.c_contiguous:
        data = arr
        axes = None
    else:
        axes = _axis_order(arr) if arr.ndim > 1 else None
        data = np.ascontiguousarray(arr) if axes is None else arr.transpose(axes)
    if dtype.itemsize == 0:
        raw = pickle.PickleBuffer(b"")  # 0-byte items: nothing to send
    else:
        try:
            raw = pickle.PickleBuffer(data)
        except (ValueError, BufferError, TypeError):
            # numpy exports no buffer for datetimes (also inside structured dtypes)
            raw = pickle.PickleBuffer(data.reshape(-1).view(np.uint8))
    if axes is None:
        return (_rebuild_array, (raw, dtype, arr.shape))
    return (_rebuild_array, (raw, dtype, arr.shape, axes))


# ---------------------------------------------------------------------------------------------
# the allow-list

_NUMPY_GLOBALS = [
    "numpy._core.multiarray.scalar",
    "numpy._core.numeric._frombuffer",
    "numpy.core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
]
_PANDAS_GLOBALS = (
    [
        f"pandas.{name}"
        for name in (
            "DataFrame Series Index RangeIndex MultiIndex DatetimeIndex TimedeltaIndex PeriodIndex "
            "CategoricalIndex IntervalIndex Categorical CategoricalDtype DatetimeTZDtype PeriodDtype "
            "IntervalDtype StringDtype BooleanDtype Int8Dtype Int16Dtype Int32Dtype Int64Dtype "
            "UInt8Dtype UInt16Dtype UInt32Dtype UInt64Dtype Float32Dtype Float64Dtype Timestamp "
            "Timedelta Period Interval NA NaT"
        ).split()
    ]
    + [
        f"pandas.arrays.{name}"
        for name in (
            "DatetimeArray TimedeltaArray PeriodArray IntervalArray IntegerArray FloatingArray "
            "BooleanArray StringArray NumpyExtensionArray"
        ).split()
    ]
    + [
        "pandas.core.indexes.base._new_Index",
        "pandas.core.indexes.datetimes._new_DatetimeIndex",
        "pandas.core.indexes.period._new_PeriodIndex",
        "pandas.core.indexes.timedeltas._new_TimedeltaIndex",
        "pandas.core.indexes.interval._new_IntervalIndex",
        "pandas.core.internals.managers.BlockManager",
        "pandas.core.internals.managers.SingleBlockManager",
        "pandas._libs.internals._unpickle_block",
        "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
        "pandas._libs.tslibs.nattype._nat_unpickle",
        "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
        "pandas._libs.tslibs.timestamps._unpickle_timestamp",
    ]
    + [
        f"pandas._libs.tslibs.offsets.{name}"
        for name in (
            "Day Hour Minute Second Milli Micro Nano BusinessDay Week MonthEnd MonthBegin "
            "QuarterEnd QuarterBegin YearEnd YearBegin"
        ).split()
    ]
)

#: The globals a restricted load may reconstruct, as (module, qualified name) pairs. Exact names
#: only, never whole modules. Deliberately absent, among others: ``builtins.getattr``, ``eval``,
#: ``exec``, ``__import__``, ``bytes``/``bytearray``/``range`` (allocations sized by an integer
#: in the stream), ``numpy.load``, ``pandas.read_pickle``, ``copyreg._reconstructor``, and
#: ``numpy.ndarray`` / numpy's ``_reconstruct``: numpy's ``ndarray.__setstate__`` trusts its
#: state (an object array whose list is shorter than its shape reads past it: a crash), so
#: segpack writes every exact ndarray through its own reconstructors and a restricted load
#: refuses numpy's (array subclasses need ``allow=`` of both, at the caller's risk); likewise
#: ``numpy.dtype``, whose ``__setstate__`` crashes on a malformed state: dtypes travel as their
#: .npy-header description (``segpack.objects._rebuild_dtype``).
SAFE_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    tuple(name.rsplit(".", 1))  # type: ignore[misc]
    for name in [
        "builtins.complex",
        "builtins.slice",
        "builtins.set",
        "builtins.frozenset",
        "builtins.list",
        "builtins.dict",
        "builtins.tuple",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.deque",
        "collections.Counter",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "segpack.objects._rebuild_array",
        "segpack.objects._rebuild_dtype",
        "segpack.objects._rebuild_str_array",
        "segpack.objects._rebuild_object_array",
        *_NUMPY_GLOBALS,
        *_PANDAS_GLOBALS,
    ]
)


def _allowed_names(allow: Iterable[Any]) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """Splits ``allow`` into (module, qualname) pairs (from objects) and dotted strings."""
    pairs: set[tuple[str, str]] = set()
    dotted: set[str] = set()
    for item in allow:
        if isinstance(item, str):
            if "." not in item:
                raise ValueError(f"allow: {item!r} is not a 'module.qualname' string")
            dotted.add(item)
        else:
            module = getattr(item, "__module__", None)
            qualname = getattr(item, "__qualname__", None)
            if not isinstance(module, str) or not isinstance(qualname, str):
                raise TypeError(
                    f"allow: {item!r} is neither a class, a function nor a 'module.qualname' string"
                )
            pairs.add((module, qualname))
    return frozenset(pairs), frozenset(dotted)


class _RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose find_class resolves only allow-listed exact names."""

    def __init__(
        self,
        file: IO[bytes],
        buffers: Iterable[Any] | None,
        pairs: frozenset[tuple[str, str]],
        dotted: frozenset[str],
    ) -> None:
        super().__init__(file, buffers=buffers)
        self._pairs = pairs
        self._dotted = dotted

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in self._pairs or f"{module}.{name}" in self._dotted:
            return super().find_class(module, name)
        if key in SAFE_GLOBALS:
            return super().find_class(module, name)
        raise UnsafeLoadError(
            f"segpack: the payload asks for the global {module}.{name}, which is not allowed "
            f"(pass allow=[...] to allow it, or trusted=True for a payload you trust)"
        )


# ---------------------------------------------------------------------------------------------
# header


def _header(sizes: list[int]) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, len(sizes)) + struct.pack(f"<{len(sizes)}Q", *sizes)


def _parse_header(data: Any) -> tuple[memoryview, int, list[int]]:
    """Returns (flat byte view of data, offset of the pickle stream, expected buffer sizes)."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"deserialize: data must be bytes-like, not {type(data).__name__}") from None
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    if len(view) < _HEADER.size:
        raise ValidationError(
            f"segpack payload: {len(view)} bytes, shorter than its {_HEADER.size}-byte header"
        )
    magic, version, count = _HEADER.unpack_from(view)
    if magic != MAGIC:
        raise ValidationError(f"segpack payload: bad magic {bytes(magic)!r} (expected {MAGIC!r})")
    if version != VERSION:
        raise UnsupportedFormatError(
            f"segpack payload: format version {version}; this segpack reads {VERSION}"
        )
    if bytes(view[5:8]) != b"\0\0\0":
        raise ValidationError("segpack payload: reserved header bytes are not zero")
    if count > (len(view) - _HEADER.size) // 8:
        raise ValidationError(
            f"segpack payload: the header lists {count} out-of-band buffers, more than its {len(view)} bytes can hold"
        )
    sizes = list(struct.unpack_from(f"<{count}Q", view, _HEADER.size))
    return view, _HEADER.size + 8 * count, sizes


def _as_flat_buffer(buf: Any, index: int) -> memoryview:
    """A flat unsigned-byte memoryview of one buffer passed to deserialize (no copy)."""
    if isinstance(buf, BufferObject):
        return buf.getbuffer()
    if isinstance(buf, np.ndarray):
        if buf.dtype.hasobject:
            raise BufferMismatchError(f"buffers[{index}] is an object array, not memory")
        if buf.flags.c_contiguous:
            flat = buf.reshape(-1)
        elif buf.flags.f_contiguous:
            flat = buf.T.reshape(-1)
        else:
            raise BufferMismatchError(f"buffers[{index}] is a non-contiguous array")
        return memoryview(flat.view(np.uint8) if flat.dtype.itemsize else np.empty(0, np.uint8))  # type: ignore[arg-type]
    try:
        m = memoryview(buf)
    except TypeError:
        raise BufferMismatchError(
            f"buffers[{index}] is a {type(buf).__name__}, which does not support the buffer protocol"
        ) from None
    if m.ndim == 1 and m.itemsize == 1 and m.c_contiguous:
        return m
    if not m.c_contiguous:
        raise BufferMismatchError(f"buffers[{index}] is not C-contiguous memory")
    return m.cast("B")


# ---------------------------------------------------------------------------------------------
# limits


def _check_depth(stream: memoryview, max_depth: int) -> None:
    """Raises LimitExceededError when the pickle stream nests objects deeper than max_depth,
    without building any object (a walk over its opcodes)."""
    stack: list[int] = []
    marks: list[int] = []
    memo: dict[int, int] = {}
    in_place = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(stream)):
            name = op.name
            if name == "MARK":
                marks.append(len(stack))
                continue
            if name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo.get(arg, 0))  # type: ignore[arg-type]
                continue
            if name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                if stack:
                    memo[len(memo) if name == "MEMOIZE" else arg] = stack[-1]  # type: ignore[index]
                continue
            before = op.stack_before
            if pickletools.markobject in before:
                below = before.index(pickletools.markobject)
                start = marks.pop() - below
            else:
                start = len(stack) - len(before)
            if start < 0:
                raise ValidationError("segpack payload: the pickle stream underflows its stack")
            consumed = stack[start:]
            del stack[start:]
            if name in in_place and consumed:
                depth = max([consumed[0]] + [d + 1 for d in consumed[1:]])
            else:
                depth = 1 + max(consumed) if consumed else 0
            if depth > max_depth:
                raise LimitExceededError(f"segpack payload: objects nest deeper than max_depth={max_depth}")
            stack.extend([depth] * len(op.stack_after))
    except (ValueError, IndexError) as e:
        if isinstance(e, (ValidationError, LimitExceededError)):
            raise
        raise ValidationError(f"segpack payload: malformed pickle stream ({e})") from None


# ---------------------------------------------------------------------------------------------
# the API


def serialize(obj: Any, buffer_callback: Callable[[BufferObject], Any] | None = None) -> bytes:
    """Serializes ``obj`` (pickle protocol 5 behind a segpack header).

    ``buffer_callback`` is called once per buffer (every non-object numpy array, of any shape
    and memory layout, and every ``pickle.PickleBuffer``) with a :class:`BufferObject`; a false
    return (False, or None as ``list.append`` returns) sends that buffer out-of-band, a true one
    keeps it in the payload. Out-of-band buffers are not copied: serializing a 1 GB array costs
    what a 1 MB one does. Without a callback everything is in the payload.

    Returns the payload (bytes). Raises what pickle raises for an object it cannot pickle
    (pickle.PicklingError, TypeError, AttributeError)."""
    out = io.BytesIO()
    pickler = _Pickler(out, buffer_callback)
    pickler.dump(obj)
    sizes = pickler._arrays.sizes()
    with out.getbuffer() as body:
        return b"".join((_header(sizes), body))


def deserialize(
    data: Any,
    buffers: Iterable[Any] | None = None,
    *,
    trusted: bool = False,
    allow: Iterable[Any] = (),
    max_depth: int | None = None,
    max_size: int | None = None,
) -> Any:
    """Rebuilds the object of a payload written by :func:`serialize`.

    ``buffers`` are its out-of-band buffers, in order: memoryview, bytes, bytearray, numpy
    arrays, PickleBuffer, BufferObject or any buffer-protocol object. They are not copied:
    arrays come back as views of them (read-only when the buffer or the serialized array was).

    Unless ``trusted`` is true, the payload may only name allow-listed globals (``SAFE_GLOBALS``,
    plus ``allow``: classes, functions or "module.qualname" strings); ``trusted=True`` is plain
    pickle, which runs whatever code the payload asks for. ``max_size`` bounds the payload plus
    its buffers in bytes, ``max_depth`` the nesting of its objects (checked by a walk over the
    stream before loading; None: no limit). Every length the stream declares is checked
    against the bytes left in it before loading, trusted or not, so nothing is allocated at a
    size the data chooses beyond its own length.

    Returns the object. Raises BufferMismatchError when ``buffers`` do not match what the header
    lists (missing, too few, too many, a wrong size, buffers for a payload without any), before
    anything is built; ValidationError / UnsupportedFormatError for a payload that is not
    segpack's, or (restricted loads) for a corrupt stream, whatever pickle or a reconstructor
    raised (chained); UnsafeLoadError for a global that is not allowed (nothing is imported or
    called); LimitExceededError past a limit."""
    view, start, sizes = _parse_header(data)
    given: list[Any] | None = None if buffers is None else list(buffers)
    if sizes and given is None:
        raise BufferMismatchError(
            f"the payload expects {len(sizes)} out-of-band buffers, but no buffers were given"
        )
    loaded: list[Any] | None = None
    if given is not None:
        if len(given) != len(sizes):
            if not sizes:
                raise BufferMismatchError(
                    f"the payload has no out-of-band buffers, but {len(given)} were given"
                )
            raise BufferMismatchError(
                f"the payload expects {len(sizes)} out-of-band buffers, {len(given)} were given"
            )
        loaded = []
        append = loaded.append
        for i, size in enumerate(sizes):
            m = given[i]
            if type(m) is not memoryview or not m.c_contiguous:
                m = _as_flat_buffer(m, i)
            if m.nbytes != size:
                raise BufferMismatchError(
                    f"out-of-band buffer {i} has {m.nbytes} bytes, the payload expects {size}"
                )
            # A buffer that no reconstructor consumes was a PickleBuffer when serialized: it
            # comes back as one (pickle alone would give the memoryview). pickle replaces it by
            # a read-only memoryview when the source was read-only and the buffer is writable.
            append(pickle.PickleBuffer(m))
    if max_size is not None:
        total = len(view) + sum(sizes)
        if total > max_size:
            raise LimitExceededError(
                f"segpack payload: {total} bytes with its buffers, over max_size={max_size}"
            )
    stream = view[start:]
    # Every declared length (counted bytes, strings, frames) must fit in what is left: CPython's
    # unpickler allocates a counted object at its declared size before it reads the bytes.
    _core.check_pickle_lengths(stream)
    if max_depth is not None:
        _check_depth(stream, max_depth)
    if trusted:
        return pickle.loads(stream, buffers=loaded)
    if allow:
        pairs, dotted = _allowed_names(allow)
    else:
        pairs, dotted = frozenset(), frozenset()
    if isinstance(data, bytes) and len(view) == len(data):
        file = io.BytesIO(data)  # shares data's memory
        file.seek(start)
    else:
        file = io.BytesIO(stream)
    try:
        return _RestrictedUnpickler(file, loaded, pairs, dotted).load()
    except (SegpackError, MemoryError):
        raise
    except Exception as e:  # what pickle or an allowed reconstructor raises on a corrupt stream
        raise ValidationError(f"segpack payload: corrupt pickle stream ({type(e).__name__}: {e})") from e


class Serializer:
    """Apache Fory's ``Fory`` object, on pickle 5: ``Serializer(xlang=False, ref=False,
    strict=True, allow=())`` with ``serialize(obj, buffer_callback=None)`` and
    ``deserialize(data, buffers=None)``.

    ``strict=True`` (the default) loads only allow-listed globals (see :func:`deserialize`);
    ``strict=False`` is plain pickle. ``ref`` is accepted for Fory compatibility: pickle always
    keeps shared and circular references. ``xlang=True`` (Fory's cross-language format) is not
    supported."""

    def __init__(
        self,
        xlang: bool = False,
        ref: bool = False,
        strict: bool = True,
        allow: Iterable[Any] = (),
        *,
        max_depth: int | None = None,
        max_size: int | None = None,
    ) -> None:
        """Returns None. Raises ValueError for ``xlang=True``, TypeError/ValueError for an
        ``allow`` entry that is neither a class, a function nor a "module.qualname" string."""
        if xlang:
            raise ValueError(
                "segpack.Serializer: xlang=True (Fory's cross-language format) is not supported; "
                "segpack writes pickle protocol 5 for Python peers (use xlang=False)"
            )
        self.ref = ref
        self.strict = strict
        self.max_depth = max_depth
        self.max_size = max_size
        self._allow: list[Any] = []
        self.register(*allow)

    def register(self, *allowed: Any) -> None:
        """Adds classes, functions or "module.qualname" strings to what ``deserialize`` may
        reconstruct (Fory's ``register``). Returns None; raises TypeError/ValueError for an
        entry that is none of those."""
        _allowed_names(allowed)
        self._allow.extend(allowed)

    def serialize(
        self,
        obj: Any,
        buffer: None = None,
        buffer_callback: Callable[[BufferObject], Any] | None = None,
    ) -> bytes:
        """Returns the payload of ``obj``; see :func:`segpack.serialize`. Fory's ``buffer``
        (an output buffer to write into) is not supported: passing one raises TypeError."""
        if buffer is not None:
            raise TypeError("segpack.Serializer.serialize: buffer= (an output buffer) is not supported")
        return serialize(obj, buffer_callback=buffer_callback)

    def deserialize(self, buffer: Any, buffers: Iterable[Any] | None = None) -> Any:
        """Returns the object of the payload ``buffer`` (Fory's name; any bytes-like object);
        see :func:`segpack.deserialize` (``trusted`` is ``not strict``, ``allow`` what was
        registered). Raises what it raises."""
        return deserialize(
            buffer,
            buffers,
            trusted=not self.strict,
            allow=self._allow,
            max_depth=self.max_depth,
            max_size=self.max_size,
        )

    dumps = serialize
    loads = deserialize
