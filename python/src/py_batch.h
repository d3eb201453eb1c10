// The batch side of the Python API: the items of a batch call, and the
// `threads=` rule shared by the batch functions and the maps' get_many.
#pragma once

#include <nanobind/nanobind.h>

#include <cstddef>
#include <vector>

#include "segpack/buffer.h"

namespace nb = nanobind;

namespace segpack::py {

/// The items of a batch call as spans, with whatever keeps them alive.
struct BatchInput {
  std::vector<ByteSpan> spans;
  std::vector<Buffer> holds;  // buffer exports of non-bytes items
  nb::object keep;            // the BufferWithSegments / collection / tuple snapshot
};
/// Accepts a BufferWithSegments, a BufferWithSegmentsCollection or a sequence
/// of bytes-like objects (python-zstandard's TypeErrors otherwise).
BatchInput batch_input(nb::handle obj);

/// BatchOptions::threads from a Python `threads=` argument (python-zstandard's
/// rule): < 0 every worker of the pool, 0 or 1 the calling thread, n at most n.
inline std::size_t threads_from(int threads) {
  if (threads < 0) return 0;
  if (threads == 0) return 1;
  return static_cast<std::size_t>(threads);
}

}  // namespace segpack::py
