// Shared helpers of the nanobind layer: error mapping, Python buffers as
// segpack::Buffer, zero-copy views, key conversion, codec arguments.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace nb = nanobind;

namespace segpack::py {

/// Python exception types from segpack.errors, looked up once at import.
struct ErrorTypes {
  PyObject* validation = nullptr;
  PyObject* truncated = nullptr;
  PyObject* checksum = nullptr;
  PyObject* unsupported_format = nullptr;
  PyObject* unsupported_codec = nullptr;
  PyObject* decompression = nullptr;
  PyObject* compression = nullptr;
  PyObject* limit = nullptr;
};
ErrorTypes& errors();
void init_errors();

/// Where an error arose, to pick the Python type for `corrupt`.
enum class ErrorContext { general, decompress, compress };

/// Sets the Python error for `st` (not ok). Returns nullptr for slot functions.
PyObject* set_error(const Status& st, ErrorContext ctx = ErrorContext::general);
/// Sets the Python error for `st` and throws nb::python_error.
[[noreturn]] void throw_status(const Status& st, ErrorContext ctx = ErrorContext::general);

template <class T>
T unwrap(Result<T> r, ErrorContext ctx = ErrorContext::general) {
  if (!r.ok()) throw_status(r.status(), ctx);
  return std::move(r).value();
}
inline void check(const Status& st, ErrorContext ctx = ErrorContext::general) {
  if (!st.ok()) throw_status(st, ctx);
}

/// Exports `obj`'s buffer (C-contiguous bytes) as a Buffer whose owner holds
/// the export (released under the GIL). Writable when the object allows it
/// and `try_writable`. Returns nullopt (with no Python error set) when the
/// object has no buffer interface.
std::optional<Buffer> buffer_from_object(PyObject* obj, bool try_writable = false);

/// A Python object exposing a read-only buffer over a segpack::Buffer; the
/// Buffer's owner stays alive as long as the view (or a memoryview of it) does.
struct BytesView {
  Buffer buf;
};
void bind_bytes_view(nb::module_& m);
/// memoryview(read-only) over `b`, keeping its owner alive.
nb::object memoryview_of(Buffer b);

/// Converts a Python key to u64: ints and objects with __index__. Returns
/// false for ints outside [0, 2**64) (cannot be a key: KeyError / not in);
/// sets TypeError and returns false with `*type_error = true` for non-integers.
bool key_from_object(PyObject* key, std::uint64_t* out, bool* type_error);
/// Where a Python key is in a reader (MapBufferReader or IntMapReader):
/// `found` (*pos set), `absent` (not stored, or not a u64 at all: no Python
/// error set) or `type_error` (not an integer: TypeError set).
enum class KeyLookup { found, absent, type_error };
template <class Reader>
inline KeyLookup find_key(const Reader& reader, PyObject* key, std::size_t* pos) {
  std::uint64_t k = 0;
  bool type_error = false;
  if (!key_from_object(key, &k, &type_error)) return type_error ? KeyLookup::type_error : KeyLookup::absent;
  const std::optional<std::size_t> p = reader.find(k);
  if (!p) return KeyLookup::absent;
  *pos = *p;
  return KeyLookup::found;
}
/// find_key for `[]`: true when found; otherwise false with KeyError(key) or
/// TypeError set.
template <class Reader>
inline bool find_key_or_key_error(const Reader& reader, PyObject* key, std::size_t* pos) {
  const KeyLookup r = find_key(reader, key, pos);
  if (r == KeyLookup::absent) PyErr_SetObject(PyExc_KeyError, key);
  return r == KeyLookup::found;
}

// ---- slots shared by the map types (MapBuffer, IntMap). `Map` has
// `bool open`, a `reader` and `static constexpr const char* kClosed`.

/// The instance, or nullptr with ValueError(Map::kClosed) set when closed.
template <class Map>
inline Map* open_map(PyObject* self) {
  Map* m = nb::inst_ptr<Map>(self);
  if (m->open) return m;
  PyErr_SetString(PyExc_ValueError, Map::kClosed);
  return nullptr;
}
/// `key in m`: like a dict, a non-integer is simply not a key.
template <class Map>
int map_contains(PyObject* self, PyObject* key) {
  Map* m = open_map<Map>(self);
  if (m == nullptr) return -1;
  std::size_t at = 0;
  const KeyLookup r = find_key(m->reader, key, &at);
  if (r == KeyLookup::type_error) PyErr_Clear();
  return r == KeyLookup::found ? 1 : 0;
}
/// `len(m)`.
template <class Map>
Py_ssize_t map_length(PyObject* self) {
  Map* m = open_map<Map>(self);
  return m == nullptr ? -1 : static_cast<Py_ssize_t>(m->reader.size());
}

/// Same, raising: ValueError for out-of-range ints (when writing), TypeError otherwise.
std::uint64_t key_for_write(nb::handle key);

/// The keys of a batch lookup (get_many). A C-contiguous buffer of 8-byte
/// native integers (numpy uint64 / int64 arrays) is read without per-key
/// Python work; any other iterable is walked with key_from_object. Keys that
/// cannot exist (negative, >= 2**64) are flagged and get the value 0. Raises
/// TypeError for non-integers.
class BatchKeys {
 public:
  explicit BatchKeys(nb::handle keys);
  std::vector<std::uint64_t> values;
  bool any_invalid() const noexcept { return !invalid_.empty(); }
  bool invalid(std::size_t i) const noexcept { return !invalid_.empty() && invalid_[i] != 0; }
  /// Raises KeyError for the first key that cannot exist, if any.
  void reject_invalid() const;
  /// After a not_found from the core: raises KeyError naming the first key
  /// that cannot exist or for which `present(value)` is false. Returns when
  /// there is none (the caller then raises the core's error).
  template <class Present>
  void raise_first_missing(Present&& present) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (invalid(i) || !present(values[i])) raise_key_error(i);
    }
  }

 private:
  /// KeyError(the caller's key i): taken from the walked sequence, so keys
  /// that came from a generator are named too.
  [[noreturn]] void raise_key_error(std::size_t i) const;
  std::vector<std::uint8_t> invalid_;  // empty, or one flag per key
  nb::object items_;                   // the sequence that was walked, or the original object
};

/// Parses mapbuffer-style `compress=` values: None/False/""/0 -> none,
/// True/1 -> gzip, names (case-insensitive), or 4-byte tags. Raises
/// UnsupportedCompressionType.
Codec codec_from_arg(nb::handle arg);
/// mapbuffer's `compress` property value: None for none, else "gzip", "br", ...
nb::object codec_to_py(Codec c);

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

/// Binding entry points per feature.
void bind_mapbuffer(nb::module_& m);
void bind_intmap(nb::module_& m);

}  // namespace segpack::py

namespace segpack::py {

/// What a `data=` argument (not a dict) resolves to: memory (a buffer-protocol
/// object, an open file or a path, memory-mapped) or a range source.
struct ResolvedData {
  std::optional<Buffer> buf;
  std::shared_ptr<PySliceSource> source;
  nb::object pyobj;  // the Python object that backs buf (for tobytes), or None
};
/// Raises TypeError when `data` is none of: bytes-like, file object with
/// fileno(), str / os.PathLike path, object with slice __getitem__.
ResolvedData resolve_data(nb::handle data, const char* type_name);

}  // namespace segpack::py
