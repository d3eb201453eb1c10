// Where a reader's bytes come from: a Python object as memory (buffer, file,
// path) or as a range source (anything with slice __getitem__).
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace nb = nanobind;

namespace segpack::py {

/// A RangeSource that calls obj[a:b] / obj[a:] on a Python object (the
/// mapbuffer "anything with slice __getitem__" reader). Python exceptions
/// raised by the object are kept and re-raised by rethrow_pending().
/// An object with a `read_ranges([(offset, length), ...]) -> [bytes, ...]`
/// method (segpack.remote.RemoteFile) serves read_many with one call, and an
/// int `coalesce_gap` attribute sets coalesce_gap().
class PySliceSource final : public RangeSource {
 public:
  explicit PySliceSource(nb::object obj);
  ~PySliceSource() override;
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override;
  Result<Buffer> read_to_end(std::uint64_t offset) override;
  Result<std::vector<Buffer>> read_many(std::span<const ByteRange> ranges) override;
  std::uint64_t coalesce_gap() const override { return gap_; }
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
  bool batch_ = false;     // obj_ has read_ranges
  std::uint64_t gap_ = 0;  // obj_.coalesce_gap
  std::optional<nb::python_error> pending_;
};

/// A RangeSource that serves reads lying inside `prefix` (bytes known to be
/// at offset 0 of `inner`, e.g. a cached header and index) from memory, and
/// every other read from `inner`.
class PrefixSource final : public RangeSource {
 public:
  PrefixSource(Buffer prefix, std::shared_ptr<RangeSource> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override {
    if (range_ok(offset, length, prefix_.size())) return prefix_.slice_unchecked(offset, length);
    return inner_->read(offset, length);
  }
  Result<Buffer> read_to_end(std::uint64_t offset) override { return inner_->read_to_end(offset); }
  std::optional<std::uint64_t> size() override { return inner_->size(); }

 private:
  Buffer prefix_;
  std::shared_ptr<RangeSource> inner_;
};

/// os.fsdecode(os.path.abspath(os.fspath(p))): always a str (a bytes path
/// would be taken for data when given back to a constructor). TypeError when
/// p is not a path.
nb::object absolute_path(nb::handle p);
/// The bytes of a str or bytes path as the OS takes them (os.fsencode).
std::string path_string(nb::handle p);

/// True when `data` is to be built from (a dict, or a mapping with items()
/// and keys() that is not a buffer) rather than read.
bool is_mapping(nb::handle data);

/// The items of an iterable of (key, value) pairs as a list, each checked to
/// be a tuple or list of two items (TypeError naming `type_name` and the first
/// item that is not).
nb::list pairs_list(nb::handle data, const char* type_name);

/// What a `data=` argument (not a mapping) resolves to: memory (a
/// buffer-protocol object, an open file or a path, memory-mapped), a range
/// source, or (key, value) pairs to build from.
struct ResolvedData {
  std::optional<Buffer> buf;
  std::shared_ptr<PySliceSource> source;
  nb::object pyobj;  // the Python object that backs buf (for tobytes), or None
  nb::object path;   // the absolute path (str, see absolute_path) of a mapped file, or None
  nb::object pairs;  // a list of (key, value) pairs to build from, or None
};
/// Resolves `data`, in this order:
///  1. bytes-like (buffer protocol): the memory itself;
///  2. a str or os.PathLike path: the file, memory-mapped;
///  3. an open file (fileno(), or io.BytesIO's getbuffer()): its contents;
///  4. a list or tuple: (key, value) pairs;
///  5. anything else with __getitem__: a range reader (obj[a:b] returns bytes);
///  6. any other iterable (an iterator, a generator, dict.items(), ...): pairs.
/// Pairs are read into a list of 2-tuples / 2-lists (TypeError naming the
/// first item that is not one); their keys and values are the builder's to
/// check. Raises TypeError, listing what is accepted, for anything else.
ResolvedData resolve_data(nb::handle data, const char* type_name);

}  // namespace segpack::py
