// segpack._core: the nanobind module. Feature bindings live in py_*.cc.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "py_common.h"
#include "py_segments.h"
#include "py_zstd.h"
#include "segpack/codec.h"
#include "segpack/crc32c.h"

namespace segpack::py {
namespace {

ByteSpan span_of(nb::handle data, std::optional<Buffer>& hold) {
  hold = buffer_from_object(data.ptr());
  if (!hold) {
    PyErr_Format(PyExc_TypeError, "a bytes-like object is required, not %s", Py_TYPE(data.ptr())->tp_name);
    throw nb::python_error();
  }
  return hold->span();
}

}  // namespace
}  // namespace segpack::py

NB_MODULE(_core, m) {
  using namespace segpack;
  using namespace segpack::py;
  m.doc() = "segpack's C++ core (private: import segpack instead).";
  init_errors();
  bind_bytes_view(m);
  bind_mapbuffer(m);
  bind_intmap(m);
  bind_segments(m);
  bind_zstd(m);

  m.def(
      "crc32c",
      [](nb::handle data, std::uint32_t value) {
        std::optional<Buffer> hold;
        ByteSpan s = span_of(data, hold);
        if (s.size() >= (1u << 16)) {
          nb::gil_scoped_release nogil;
          return crc32c_extend(value, s.data(), s.size());
        }
        return crc32c_extend(value, s.data(), s.size());
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
        std::optional<Buffer> hold;
        ByteSpan s = span_of(data, hold);
        for (auto b : crc32c_available_backends()) {
          if (crc32c_backend_name(b) == backend) return crc32c_extend_with(b, value, s.data(), s.size());
        }
        throw nb::value_error(("crc32c backend not available here: " + backend).c_str());
      },
      nb::arg("backend"), nb::arg("data"), nb::arg("value") = 0);

  m.def(
      "compress",
      [](nb::handle data, nb::handle codec, std::optional<int> level) {
        return compress_to_bytes(data, codec_arg(codec), level, {});
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("level") = nb::none(),
      "Compresses bytes with one of: None, 'gzip', 'br', 'zstd', 'lzma' (mapbuffer's default levels). Reuses "
      "this thread's codec context: no context is made per call.");
  m.def(
      "decompress",
      [](nb::handle data, nb::handle codec, std::optional<std::uint64_t> max_output) {
        return decompress_to_bytes(data, codec_arg(codec), max_output, {});
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("max_output") = nb::none(),
      "Decompresses one whole stream; raises DecompressionError on corrupt, truncated or trailing data. Reuses "
      "this thread's codec context: no context is made per call.");
  m.def("codec_level_range", [](nb::handle codec) { return codec_level_range(codec_from_arg(codec)); },
        nb::arg("codec").none());
  m.def("codec_default_level", [](nb::handle codec) { return codec_default_level(codec_from_arg(codec)); },
        nb::arg("codec").none());
}
