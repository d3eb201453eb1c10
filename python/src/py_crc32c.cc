// crc32c, its backends, and a chosen backend (for tests and benchmarks).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_sig.h"
#include "segpack/crc32c.h"

namespace segpack::py {

void bind_crc32c(nb::module_& m) {
  m.def(
      "crc32c",
      [](nb::handle data, std::uint32_t value) {
        const Buffer in = require_buffer(data, "a bytes-like object is required, not %s");
        if (in.size() >= (1u << 16)) {
          nb::gil_scoped_release nogil;
          return crc32c_extend(value, in.data(), in.size());
        }
        return crc32c_extend(value, in.data(), in.size());
      },
      nb::arg("data"), nb::arg("value") = 0,
      nb::sig("def crc32c(data: " SEGPACK_PY_BYTES_LIKE ", value: int = 0) -> int"),
      "Returns the CRC-32C (Castagnoli) of `data` as an int; `value` continues an earlier checksum,\n"
      "so crc32c(b, crc32c(a)) == crc32c(a + b).\n\n"
      "Raises TypeError when `data` is not bytes-like or `value` not an int in [0, 2**32).");
  m.def(
      "crc32c_backend", []() { return std::string(crc32c_backend_name(crc32c_active_backend())); },
      "Returns the name of the crc32c implementation in use (e.g. 'isal', 'sse42', 'portable').");
  m.def(
      "crc32c_backends",
      []() {
        std::vector<std::string> out;
        for (auto b : crc32c_available_backends()) out.emplace_back(crc32c_backend_name(b));
        return out;
      },
      "Returns the names of the crc32c implementations this machine can run (for tests and benchmarks).");
  m.def(
      "crc32c_with",
      [](const std::string& backend, nb::handle data, std::uint32_t value) {
        const Buffer in = require_buffer(data, "a bytes-like object is required, not %s");
        for (auto b : crc32c_available_backends()) {
          if (crc32c_backend_name(b) == backend) return crc32c_extend_with(b, value, in.data(), in.size());
        }
        throw nb::value_error(("crc32c backend not available here: " + backend).c_str());
      },
      nb::arg("backend"), nb::arg("data"), nb::arg("value") = 0,
      nb::sig("def crc32c_with(backend: str, data: " SEGPACK_PY_BYTES_LIKE ", value: int = 0) -> int"),
      "Returns crc32c(data, value) computed by the named implementation (for tests and benchmarks).\n\n"
      "Raises ValueError when that implementation is not available here, TypeError as crc32c() does.");
}

}  // namespace segpack::py
