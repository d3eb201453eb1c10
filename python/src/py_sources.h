// Where a reader's bytes come from: a Python object as memory (buffer, file,
// path) or as a range source (anything with slice __getitem__).
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace nb = nanobind;

namespace segpack::py {

/// A RangeSource that calls obj[a:b] / obj[a:] on a Python object (the
/// mapbuffer "anything with slice __getitem__" reader). Python exceptions
/// raised by the object are kept and re-raised by rethrow_pending().
class PySliceSource final : public RangeSource {
 public:
  explicit PySliceSource(nb::object obj);
  ~PySliceSource() override;
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override;
  Result<Buffer> read_to_end(std::uint64_t offset) override;
  std::optional<std::uint64_t> size() override { return size_; }
  /// Re-raises a Python exception captured during a read, if any.
  void rethrow_pending();
  nb::object object() const { return obj_; }
  /// Borrowed pointer to the wrapped object (for tp_traverse).
  PyObject* object_ptr() const noexcept { return obj_.ptr(); }

 private:
  Result<Buffer> slice(std::uint64_t a, std::optional<std::uint64_t> b);
  nb::object obj_;
  std::optional<std::uint64_t> size_;
  std::optional<nb::python_error> pending_;
};

/// True when `data` is to be built from (a dict, or a mapping with items()
/// and keys() that is not a buffer) rather than read.
bool is_mapping(nb::handle data);

/// What a `data=` argument (not a mapping) resolves to: memory (a
/// buffer-protocol object, an open file or a path, memory-mapped) or a range
/// source.
struct ResolvedData {
  std::optional<Buffer> buf;
  std::shared_ptr<PySliceSource> source;
  nb::object pyobj;  // the Python object that backs buf (for tobytes), or None
};
/// Raises TypeError when `data` is none of: bytes-like, file object with
/// fileno(), str / os.PathLike path, object with slice __getitem__.
ResolvedData resolve_data(nb::handle data, const char* type_name);

}  // namespace segpack::py
