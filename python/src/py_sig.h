// Python types as the bindings' signatures (nb::sig) spell them, and so as
// help() and the generated stubs (python/segpack/_core.pyi) show them. String
// literals, so that a signature is put together by concatenation.
#pragma once

// A key: an int, or anything with __index__ (numpy integers).
#define SEGPACK_PY_KEY "typing.SupportsIndex"
// Anything exporting a C-contiguous buffer: bytes, bytearray, memoryview, numpy arrays, mmap.
// numpy declares ndarray.__buffer__ (PEP 688) for Python 3.12 on only, so arrays are named too.
#define SEGPACK_PY_BYTES_LIKE "typing_extensions.Buffer | numpy.typing.NDArray[typing.Any]"
// What a function returns that hands back such an object (the one it was given, or a view).
#define SEGPACK_PY_BUFFER "typing_extensions.Buffer"
// A codec argument: None, 'gzip', 'br', 'zstd', 'lzma' (also mapbuffer's 0/1/False/True and 4-byte tags).
#define SEGPACK_PY_CODEC "str | int | bytes | None"
#define SEGPACK_PY_PATH "str | os.PathLike[str]"
// Where a map's serialized data can come from: bytes-like, a path, an open
// binary file, or a range reader (slice __getitem__ returning bytes-like).
#define SEGPACK_PY_MAP_SOURCE                 \
  SEGPACK_PY_BYTES_LIKE " | " SEGPACK_PY_PATH \
                        " | typing.BinaryIO | _typeshed.SupportsGetItem[slice, " SEGPACK_PY_BYTES_LIKE "]"
#define SEGPACK_PY_U64_ARRAY "numpy.typing.NDArray[numpy.uint64]"
// The items of a batch call: a sequence of bytes-like objects or segment buffers.
#define SEGPACK_PY_BATCH_INPUT \
  "collections.abc.Sequence[" SEGPACK_PY_BYTES_LIKE "] | BufferWithSegments | BufferWithSegmentsCollection"
// The callables a MapBuffer applies to values written and read.
#define SEGPACK_PY_TOBYTESFN "collections.abc.Callable[[typing.Any], " SEGPACK_PY_BYTES_LIKE "] | None"
#define SEGPACK_PY_FROMBYTESFN "collections.abc.Callable[[typing.Any], typing.Any] | None"
