// The segment-buffer types shared by py_segments.cc (their bindings), the
// batch functions (py_batch.cc) and the get_many methods of MapBuffer.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <optional>

#include "segpack/buffer.h"
#include "segpack/segments.h"
#include "segpack/zstd.h"

namespace nb = nanobind;

namespace segpack::py {

/// BufferSegment: one segment; `buf` shares the parent's owner.
struct PySegment {
  Buffer buf;
  std::uint64_t offset = 0;
};

/// BufferWithSegments.
struct PyBufferWithSegments {
  BufferWithSegments bws;
};

/// BufferWithSegmentsCollection.
struct PyCollection {
  BufferWithSegmentsCollection c;
};

/// A Python BufferWithSegments owning `b`.
nb::object wrap_bws(BufferWithSegments b);

/// python-zstandard's own BufferWithSegments (or any object that exports a
/// buffer and has a segments() method returning the 16-byte native
/// (offset, length) records, also as a buffer) as a segpack one: the data is
/// not copied (the export keeps the object alive), the records are copied and
/// bounds-checked (ValueError). nullopt for other objects, and for segpack's
/// own BufferWithSegments (use its `bws`).
std::optional<BufferWithSegments> foreign_bws(nb::handle obj);

}  // namespace segpack::py
