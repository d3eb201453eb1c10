// Remote maps: the HTTP response parsers the Python transport
// (segpack/remote.py) hands its answers to, and the hook that turns a URL or
// an fsspec file given to MapBuffer / IntMap into a segpack.remote.RemoteFile.
#include "py_remote.h"

#include <nanobind/stl/string.h>

#include <cctype>
#include <string>
#include <string_view>

#include "bindings.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_sig.h"
#include "segpack/remote.h"

namespace segpack::py {

bool is_remote_data(nb::handle data) {
  PyObject* o = data.ptr();
  if (PyUnicode_Check(o)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == nullptr) {
      PyErr_Clear();
      return false;
    }
    // A scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://"
    const std::string_view v(s, static_cast<std::size_t>(n));
    const std::size_t at = v.find("://");
    if (at == std::string_view::npos || at == 0 || !std::isalpha(static_cast<unsigned char>(v[0]))) return false;
    for (char c : v.substr(0, at)) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
  }
  // An fsspec file object: .fs (a filesystem) and .path.
  return !PyObject_CheckBuffer(o) && PyObject_HasAttrString(o, "fs") && PyObject_HasAttrString(o, "path");
}

nb::object remote_data(nb::handle data, const RemoteArgs& args) {
  const bool given = !args.storage_options.is_none() || args.first_read || args.coalesce_gap;
  if (!is_remote_data(data)) {
    if (given) {
      throw nb::type_error("storage_options, first_read and coalesce_gap apply to URLs and fsspec files only");
    }
    return nb::borrow(data);
  }
  nb::dict kw;
  kw["storage_options"] = args.storage_options;
  kw["timeout"] = args.timeout;
  kw["retries"] = args.retries;
  if (args.first_read) kw["first_read"] = *args.first_read;
  if (args.coalesce_gap) kw["coalesce_gap"] = *args.coalesce_gap;
  return nb::module_::import_("segpack.remote").attr("_remote_data")(data, kw);
}

void bind_remote(nb::module_& m) {
  m.def(
      "_parse_byteranges",
      [](nb::handle body, const std::string& content_type) {
        const Buffer b = require_buffer(body, "body must be bytes-like, got %s");
        auto parts = parse_multipart_byteranges(b, content_type);
        check(parts.status());
        nb::list out;
        for (ByteRangePart& p : *parts) {
          nb::object total = p.total ? nb::object(nb::int_(*p.total)) : nb::none();
          out.append(nb::make_tuple(p.range.offset, p.range.length, total, memoryview_of(std::move(p.data))));
        }
        return out;
      },
      nb::arg("body"), nb::arg("content_type"),
      nb::sig("def _parse_byteranges(body: " SEGPACK_PY_BYTES_LIKE
              ", content_type: str) -> list[tuple[int, int, int | None, memoryview]]"),
      "Splits a multipart/byteranges HTTP body: one (offset, length, total size or None, data) per part,\n"
      "data a read-only memoryview of the body (no copy). Private: segpack.remote's transport.\n\n"
      "Raises ValueError for a content type that is not multipart/byteranges, a ValidationError\n"
      "subclass for a malformed or truncated body.");
  m.def(
      "_parse_content_range",
      [](const std::string& value) {
        auto cr = parse_content_range(value);
        check(cr.status());
        nb::object first = cr->range ? nb::object(nb::int_(cr->range->offset)) : nb::none();
        nb::object length = cr->range ? nb::object(nb::int_(cr->range->length)) : nb::none();
        nb::object total = cr->total ? nb::object(nb::int_(*cr->total)) : nb::none();
        return nb::make_tuple(first, length, total);
      },
      nb::arg("value"), nb::sig("def _parse_content_range(value: str) -> tuple[int | None, int | None, int | None]"),
      "Parses a Content-Range value: (first byte, length, total size), None where the value has '*'.\n"
      "Private: segpack.remote's transport.\n\nRaises a ValidationError subclass for a malformed value.");
}

}  // namespace segpack::py
