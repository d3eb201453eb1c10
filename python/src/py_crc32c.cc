// crc32c, its backends, and a chosen backend (for tests and benchmarks).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
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
      "CRC-32C of a bytes-like object; `value` continues an earlier checksum.");
  m.def("crc32c_backend", []() { return std::string(crc32c_backend_name(crc32c_active_backend())); },
        "Name of the crc32c implementation in use (e.g. 'isal', 'sse42', 'portable').");
  m.def("crc32c_backends", []() {
    std::vector<std::string> out;
    for (auto b : crc32c_available_backends()) out.emplace_back(crc32c_backend_name(b));
    return out;
  });
  m.def(
      "crc32c_with",
      [](const std::string& backend, nb::handle data, std::uint32_t value) {
        const Buffer in = require_buffer(data, "a bytes-like object is required, not %s");
        for (auto b : crc32c_available_backends()) {
          if (crc32c_backend_name(b) == backend) return crc32c_extend_with(b, value, in.data(), in.size());
        }
        throw nb::value_error(("crc32c backend not available here: " + backend).c_str());
      },
      nb::arg("backend"), nb::arg("data"), nb::arg("value") = 0);
}

}  // namespace segpack::py
