// Codec arguments, and the one-shot functions compress, decompress,
// codec_level_range and codec_default_level.
#include "py_codecs.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_sig.h"
#include "py_zstd.h"

namespace segpack::py {

Codec codec_from_arg(nb::handle arg) {
  PyObject* o = arg.ptr();
  if (o == Py_None || o == Py_False) return Codec::none;
  if (o == Py_True) return Codec::gzip;
  if (PyLong_Check(o)) {
    long v = PyLong_AsLong(o);
    if (v == 0) return Codec::none;
    if (v == 1) return Codec::gzip;
  } else if (PyUnicode_Check(o)) {
    return unwrap(codec_from_name(nb::cast<std::string>(arg)));
  } else if (PyBytes_Check(o) || PyByteArray_Check(o)) {
    auto b = buffer_from_object(o);
    if (b->size() == 4) {
      auto r = codec_from_tag(b->span());
      if (r.ok()) return *r;
    }
  }
  PyObject* rep = PyObject_Repr(o);
  std::string s = rep ? PyUnicode_AsUTF8(rep) : "?";
  Py_XDECREF(rep);
  throw_status(unsupported("unsupported compression " + s + "; supported: None, 'gzip', 'br', 'zstd', 'lzma'",
                           ErrorCategory::codec));
}

nb::object codec_to_py(Codec c) {
  if (c == Codec::none) return nb::none();
  auto n = codec_name(c);
  return nb::str(n.data(), n.size());
}

namespace {

nb::bytes to_bytes(const std::vector<std::uint8_t>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

}  // namespace

void bind_codecs(nb::module_& m) {
  m.def(
      "compress",
      [](nb::handle data, nb::handle codec, std::optional<int> level) {
        return compress_to_bytes(data, codec_arg(codec), level, {});
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("level") = nb::none(),
      nb::sig("def compress(data: " SEGPACK_PY_BYTES_LIKE ", codec: " SEGPACK_PY_CODEC
              " = 'zstd', level: int | None = None) -> bytes"),
      "Returns `data` compressed as one whole stream of `codec`: None (a copy), 'gzip', 'br', 'zstd' or\n"
      "'lzma', at `level` (None: mapbuffer's default for the codec).\n\n"
      "Raises TypeError when `data` is not bytes-like, UnsupportedCompressionType for an unknown codec,\n"
      "ValueError for a level out of the codec's range, CompressionError when compression fails.\n"
      "Reuses this thread's codec context: no context is made per call. zstd errors are also ZstdError.");
  m.def(
      "decompress",
      [](nb::handle data, nb::handle codec, std::optional<std::uint64_t> max_output) {
        return decompress_to_bytes(data, codec_arg(codec), max_output, {});
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("max_output") = nb::none(),
      nb::sig("def decompress(data: " SEGPACK_PY_BYTES_LIKE ", codec: " SEGPACK_PY_CODEC
              " = 'zstd', max_output: int | None = None) -> bytes"),
      "Returns the content of one whole stream of `codec` (None, 'gzip', 'br', 'zstd' or 'lzma').\n"
      "max_output: the most bytes it may decompress to (None: 4 GiB).\n\n"
      "Raises TypeError when `data` is not bytes-like, UnsupportedCompressionType for an unknown codec,\n"
      "DecompressionError on corrupt, truncated or trailing data, LimitExceededError beyond max_output.\n"
      "Reuses this thread's codec context: no context is made per call. zstd errors are also ZstdError.");
  m.def(
      "codec_level_range", [](nb::handle codec) { return codec_level_range(codec_from_arg(codec)); },
      nb::arg("codec").none(), nb::sig("def codec_level_range(codec: " SEGPACK_PY_CODEC ") -> tuple[int, int]"),
      "Returns the (lowest, highest) compression level `codec` accepts ((0, 0) for None).\n\n"
      "Raises UnsupportedCompressionType for an unknown codec.");
  m.def(
      "codec_default_level", [](nb::handle codec) { return codec_default_level(codec_from_arg(codec)); },
      nb::arg("codec").none(), nb::sig("def codec_default_level(codec: " SEGPACK_PY_CODEC ") -> int"),
      "Returns the level `codec` uses when none is given (mapbuffer's default for it).\n\n"
      "Raises UnsupportedCompressionType for an unknown codec.");
}

}  // namespace segpack::py
