// Python keys as u64: conversion, lookup in a reader (with KeyError /
// TypeError as a dict raises them), and the keys of a batch lookup.
#pragma once

#include <nanobind/nanobind.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "py_errors.h"
#include "py_sources.h"

namespace nb = nanobind;

namespace segpack::py {

/// Converts a Python key to u64: ints and objects with __index__. Returns
/// false for ints outside [0, 2**64) (cannot be a key: KeyError / not in);
/// sets TypeError and returns false with `*type_error = true` for non-integers.
bool key_from_object(PyObject* key, std::uint64_t* out, bool* type_error);

/// Same, raising: ValueError for out-of-range ints (when writing), TypeError otherwise.
std::uint64_t key_for_write(nb::handle key);

/// The position of `k` in `reader`: its fallible lookup() when it has one (a
/// MapBuffer in partial-index mode reads index blocks), else find().
template <class Reader>
inline Result<std::optional<std::size_t>> reader_lookup(const Reader& reader, std::uint64_t k) {
  if constexpr (requires { reader.lookup(k); }) {
    return reader.lookup(k);
  } else {
    return reader.find(k);
  }
}

/// Sets the Python error of a failed lookup: the range reader's own
/// exception (`src`, may be null) when it raised one, else `st`'s.
void set_lookup_error(const Status& st, PySliceSource* src);

/// Where a Python key is in a reader (anything with
/// `std::optional<std::size_t> find(std::uint64_t)`): `found` (*pos set),
/// `absent` (not stored, or not a u64 at all: no Python error set),
/// `type_error` (not an integer: TypeError set) or `error` (reading the index
/// failed: the Python error set, see set_lookup_error).
enum class KeyLookup { found, absent, type_error, error };
template <class Reader>
inline KeyLookup find_key(const Reader& reader, PyObject* key, std::size_t* pos, PySliceSource* src = nullptr) {
  std::uint64_t k = 0;
  bool type_error = false;
  if (!key_from_object(key, &k, &type_error)) return type_error ? KeyLookup::type_error : KeyLookup::absent;
  const Result<std::optional<std::size_t>> p = reader_lookup(reader, k);
  if (!p.ok()) {
    set_lookup_error(p.status(), src);
    return KeyLookup::error;
  }
  if (!*p) return KeyLookup::absent;
  *pos = **p;
  return KeyLookup::found;
}
/// find_key for `[]` slots: true when found; otherwise false with KeyError(key),
/// TypeError or the lookup's error set.
template <class Reader>
inline bool find_key_or_key_error(const Reader& reader, PyObject* key, std::size_t* pos, PySliceSource* src = nullptr) {
  const KeyLookup r = find_key(reader, key, pos, src);
  if (r == KeyLookup::absent) PyErr_SetObject(PyExc_KeyError, key);
  return r == KeyLookup::found;
}
/// find_key for methods: the position, or KeyError(key) / TypeError / the
/// lookup's error raised.
template <class Reader>
std::size_t find_key_or_raise(const Reader& reader, nb::handle key, PySliceSource* src = nullptr) {
  std::size_t pos = 0;
  if (!find_key_or_key_error(reader, key.ptr(), &pos, src)) throw nb::python_error();
  return pos;
}

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

}  // namespace segpack::py
