// The segment-buffer types shared by py_segments.cc (their bindings), the
// batch functions (py_batch.cc) and the get_many methods of MapBuffer.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>

#include "segpack/buffer.h"
#include "segpack/segments.h"

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

}  // namespace segpack::py
