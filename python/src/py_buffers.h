// Python buffers: reading them (a bytes-like object as a segpack::Buffer),
// exporting them (read-only buffer slots, zero-copy memoryviews) and the
// bytes objects the core's builders write into.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "segpack/buffer.h"

namespace nb = nanobind;

namespace segpack::py {

/// Exports `obj`'s buffer (C-contiguous bytes) as a Buffer whose owner holds
/// the export (released under the GIL). Writable when the object allows it
/// and `try_writable`. Returns nullopt (with no Python error set) when the
/// object has no buffer interface.
std::optional<Buffer> buffer_from_object(PyObject* obj, bool try_writable = false);

/// buffer_from_object, or TypeError. `format` is a PyErr_Format format whose
/// last conversion, if any, is the %s of the object's type name; `args` fill
/// the conversions before it. E.g. ("%s must be a bytes-like object, not %s", "data").
template <class... Args>
Buffer require_buffer(nb::handle obj, const char* format, Args... args) {
  if (std::optional<Buffer> b = buffer_from_object(obj.ptr())) return std::move(*b);
  PyErr_Format(PyExc_TypeError, format, args..., Py_TYPE(obj.ptr())->tp_name);
  throw nb::python_error();
}

/// A bound C++ object made by __new__ but never __init__ (nanobind leaves it
/// uninitialised): false, with TypeError set.
bool check_ready(PyObject* self);
/// The C++ object behind `h`, or TypeError when it was never initialised.
template <class T>
T* ready_ptr(nb::handle h) {
  if (!check_ready(h.ptr())) throw nb::python_error();
  return nb::inst_ptr<T>(h);
}

/// The read-only buffer protocol for a bound type T whose bytes are
/// `Bytes(object)`: `nb::type_slots(ReadOnlyBuffer<T, Bytes>::slots)`. The
/// export keeps the Python object (and so its owner) alive.
template <class T, ByteSpan (*Bytes)(const T&)>
struct ReadOnlyBuffer {
  static int getbuffer(PyObject* self, Py_buffer* view, int flags) {
    static const std::uint8_t kEmpty[1] = {0};  // a valid pointer for empty exports
    if (!check_ready(self)) return -1;
    const ByteSpan b = Bytes(*nb::inst_ptr<T>(self));
    return PyBuffer_FillInfo(view, self, const_cast<std::uint8_t*>(b.empty() ? kEmpty : b.data()),
                             static_cast<Py_ssize_t>(b.size()), /*readonly=*/1, flags);
  }
  static void releasebuffer(PyObject*, Py_buffer*) {}
  static inline PyType_Slot slots[] = {
      {Py_bf_getbuffer, reinterpret_cast<void*>(getbuffer)},
      {Py_bf_releasebuffer, reinterpret_cast<void*>(releasebuffer)},
      {0, nullptr},
  };
};

/// A Python object exposing a read-only buffer over a segpack::Buffer; the
/// Buffer's owner stays alive as long as the view (or a memoryview of it) does.
struct BytesView {
  Buffer buf;
};
/// memoryview(read-only) over `b`, keeping its owner alive.
nb::object memoryview_of(Buffer b);
/// The numpy N x 2 uint64 array viewing `pairs` (16-byte little-endian
/// records, e.g. a map's index), read-only, keeping its owner alive.
nb::object pairs_array(Buffer pairs, std::size_t n);

/// The output of the core's builders (build_mapbuffer_in_place,
/// build_intmap_into): a bytes object of the size they ask for, written in
/// place. allocator() takes the GIL itself, so the build may run without it;
/// a failed allocation is an empty span (the builder's resource_exhausted).
class BytesOutput {
 public:
  std::function<MutableByteSpan(std::size_t)> allocator();
  /// The bytes object, after a successful build.
  nb::bytes take() const { return nb::borrow<nb::bytes>(obj_); }

 private:
  nb::object obj_;
};

}  // namespace segpack::py
