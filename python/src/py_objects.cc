// The per-array fast path of segpack.objects (serialize / deserialize): the
// pickler's reducer_override and buffer callback for numpy arrays, and the
// array reconstructor the stream names (segpack.objects._rebuild_array).
// Only the common case is here (an exact, C-contiguous ndarray whose buffer
// numpy exports); every other object goes to the Python reducer given as
// `fallback`, so both paths write the same bytes.
#include <nanobind/nanobind.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bindings.h"
#include "py_errors.h"
#include "py_sig.h"

namespace segpack::py {

namespace {

nb::object steal_or_throw(PyObject* o) {
  if (o == nullptr) throw nb::python_error();
  return nb::steal(o);
}

/// Whether a dtype may take the fast path: no objects, items of at least one
/// byte, not datetime/timedelta/void (numpy exports no buffer for some of
/// those; the Python reducer handles them). Cached per dtype object.
class DtypeCache {
 public:
  bool fast(nb::handle dtype) {
    auto it = seen_.find(dtype.ptr());
    if (it != seen_.end()) return it->second;
    const bool hasobject = nb::cast<bool>(dtype.attr("hasobject"));
    const auto itemsize = nb::cast<std::int64_t>(dtype.attr("itemsize"));
    const std::string kind = nb::cast<std::string>(dtype.attr("kind"));
    const bool ok = !hasobject && itemsize > 0 && kind != "M" && kind != "m" && kind != "V";
    held_.push_back(nb::borrow(dtype));  // keeps the key's address valid
    seen_.emplace(dtype.ptr(), ok);
    return ok;
  }

 private:
  std::unordered_map<PyObject*, bool> seen_;
  std::vector<nb::object> held_;
};

/// The reducer_override of one pickler, and its buffer callback.
class ArrayReducer {
 public:
  ArrayReducer(nb::object ndarray, nb::object fallback, nb::object rebuild, nb::object buffer_object,
               nb::object user_callback)
      : ndarray_(std::move(ndarray)),
        fallback_(std::move(fallback)),
        rebuild_(std::move(rebuild)),
        buffer_object_(std::move(buffer_object)),
        user_callback_(std::move(user_callback)),
        rebuild_name_(rebuild_.attr("__qualname__")) {}

  nb::object reduce(nb::handle obj) {
    if (Py_TYPE(obj.ptr()) == reinterpret_cast<PyTypeObject*>(ndarray_.ptr())) {
      nb::object dtype = obj.attr("dtype");
      if (dtypes_.fast(dtype)) {
        PyObject* pb = PyPickleBuffer_FromObject(obj.ptr());
        if (pb == nullptr) {
          PyErr_Clear();
        } else {
          nb::object owned = nb::steal(pb);
          const Py_buffer* view = PyPickleBuffer_GetBuffer(pb);
          if (view != nullptr && PyBuffer_IsContiguous(view, 'C')) {
            nb::object shape = obj.attr("shape");
            remember(owned, dtype, shape);
            return nb::make_tuple(rebuild_, nb::make_tuple(owned, dtype, shape));
          }
          PyErr_Clear();
        }
      }
    }
    // The reconstructor itself: pickle would call its __reduce_ex__ (a nanobind
    // function has none); its name makes pickle write it as a global.
    if (obj.ptr() == rebuild_.ptr()) return rebuild_name_;
    nb::object r = fallback_(obj);
    // The Python reducer's arrays: remember them too, for the callback.
    if (PyTuple_CheckExact(r.ptr()) && PyTuple_GET_SIZE(r.ptr()) == 2 &&
        PyTuple_GET_ITEM(r.ptr(), 0) == rebuild_.ptr()) {
      PyObject* args = PyTuple_GET_ITEM(r.ptr(), 1);
      if (PyTuple_CheckExact(args) && PyTuple_GET_SIZE(args) >= 3) {
        remember(nb::borrow(PyTuple_GET_ITEM(args, 0)), nb::borrow(PyTuple_GET_ITEM(args, 1)),
                 nb::borrow(PyTuple_GET_ITEM(args, 2)));
      }
    }
    return r;
  }

  nb::object callback(nb::handle pb) {
    // A BufferObject without running its __init__ (a Python frame per buffer).
    auto* type = reinterpret_cast<PyTypeObject*>(buffer_object_.ptr());
    nb::object bo = steal_or_throw(type->tp_alloc(type, 0));
    bo.attr("_pb") = pb;
    if (last_pb_.is_valid() && last_pb_.ptr() == pb.ptr()) {
      bo.attr("_array") = nb::make_tuple(last_dtype_, last_shape_);
    } else {
      bo.attr("_array") = nb::none();
    }
    nb::object in_band = user_callback_(bo);
    const int truth = PyObject_IsTrue(in_band.ptr());
    if (truth < 0) throw nb::python_error();
    if (!truth) {
      const Py_buffer* view = PyPickleBuffer_GetBuffer(pb.ptr());
      if (view == nullptr) throw nb::python_error();
      sizes_.push_back(static_cast<std::uint64_t>(view->len));
    }
    return in_band;
  }

  nb::list sizes() const {
    nb::list out;
    for (const std::uint64_t s : sizes_) out.append(s);
    return out;
  }

 private:
  void remember(nb::object pb, nb::object dtype, nb::object shape) {
    last_pb_ = std::move(pb);
    last_dtype_ = std::move(dtype);
    last_shape_ = std::move(shape);
  }

  nb::object ndarray_, fallback_, rebuild_, buffer_object_, user_callback_, rebuild_name_;
  nb::object last_pb_, last_dtype_, last_shape_;
  DtypeCache dtypes_;
  std::vector<std::uint64_t> sizes_;
};

/// A new reference to the int `v` (never null: raises instead).
PyObject* new_int(Py_ssize_t v) { return steal_or_throw(PyLong_FromSsize_t(v)).release().ptr(); }

[[noreturn]] void invalid(const std::string& why) {
  throw_status(corrupt("segpack payload: an array reconstructor does not describe its buffer (" + why + ")"));
}

/// What rebuild_array needs of numpy, looked up once.
struct Numpy {
  nb::object ndarray, dtype_type, empty;
};

/// The dimensions of `shape`, which must be a tuple of non-negative ints.
std::vector<Py_ssize_t> read_shape(nb::handle shape) {
  if (!PyTuple_CheckExact(shape.ptr())) invalid("the shape is not a tuple");
  const Py_ssize_t n = PyTuple_GET_SIZE(shape.ptr());
  std::vector<Py_ssize_t> dims(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* d = PyTuple_GET_ITEM(shape.ptr(), i);
    if (!PyLong_CheckExact(d)) invalid("a dimension is not an int");
    const Py_ssize_t v = PyLong_AsSsize_t(d);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      invalid("a dimension is out of range");
    }
    if (v < 0) invalid("a dimension is negative");
    dims[static_cast<std::size_t>(i)] = v;
  }
  return dims;
}

nb::object rebuild_array(const Numpy& np, nb::handle buf, nb::handle dtype, nb::handle shape, nb::handle axes) {
  if (!PyObject_TypeCheck(dtype.ptr(), reinterpret_cast<PyTypeObject*>(np.dtype_type.ptr()))) {
    invalid("the dtype is not a numpy dtype");
  }
  if (nb::cast<bool>(dtype.attr("hasobject"))) invalid("the dtype holds objects");
  const auto itemsize = nb::cast<std::int64_t>(dtype.attr("itemsize"));
  const std::vector<Py_ssize_t> dims = read_shape(shape);
  Py_buffer view;
  if (PyObject_GetBuffer(buf.ptr(), &view, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    invalid("the buffer is not a contiguous bytes-like object");
  }
  const Py_ssize_t len = view.len;
  PyBuffer_Release(&view);
  std::uint64_t total = static_cast<std::uint64_t>(itemsize);
  bool overflow = false;
  for (const Py_ssize_t d : dims) {
    if (__builtin_mul_overflow(total, static_cast<std::uint64_t>(d), &total)) overflow = true;
  }
  if (overflow || total != static_cast<std::uint64_t>(len)) {
    invalid("its shape and dtype need " + (overflow ? std::string("more") : std::to_string(total)) +
            " bytes, the buffer has " + std::to_string(len));
  }
  // The shape the buffer holds in C order, and the permutation back.
  nb::object stored = nb::borrow(shape);
  nb::object inverse;
  if (!axes.is_none()) {
    if (!PyTuple_CheckExact(axes.ptr()) || PyTuple_GET_SIZE(axes.ptr()) != static_cast<Py_ssize_t>(dims.size())) {
      invalid("invalid axis order");
    }
    const std::size_t n = dims.size();
    std::vector<Py_ssize_t> inv(n, -1);
    nb::tuple st = nb::steal<nb::tuple>(steal_or_throw(PyTuple_New(static_cast<Py_ssize_t>(n))).release());
    for (std::size_t i = 0; i < n; ++i) {
      PyObject* a = PyTuple_GET_ITEM(axes.ptr(), static_cast<Py_ssize_t>(i));
      const Py_ssize_t v = PyLong_CheckExact(a) ? PyLong_AsSsize_t(a) : -1;
      if (v < 0 || static_cast<std::size_t>(v) >= n || inv[static_cast<std::size_t>(v)] != -1) {
        PyErr_Clear();
        invalid("invalid axis order");
      }
      inv[static_cast<std::size_t>(v)] = static_cast<Py_ssize_t>(i);
      PyTuple_SET_ITEM(st.ptr(), static_cast<Py_ssize_t>(i), new_int(dims[static_cast<std::size_t>(v)]));
    }
    stored = st;
    nb::tuple it = nb::steal<nb::tuple>(steal_or_throw(PyTuple_New(static_cast<Py_ssize_t>(n))).release());
    for (std::size_t i = 0; i < n; ++i) {
      PyTuple_SET_ITEM(it.ptr(), static_cast<Py_ssize_t>(i), new_int(inv[i]));
    }
    inverse = it;
  }
  nb::object arr;
  if (itemsize == 0) {
    arr = np.empty(stored, dtype);  // numpy cannot view 0-byte items in a buffer
  } else {
    PyObject* args[] = {stored.ptr(), dtype.ptr(), buf.ptr()};
    arr = steal_or_throw(PyObject_Vectorcall(np.ndarray.ptr(), args, 3, nullptr));
  }
  if (inverse.is_valid()) return arr.attr("transpose")(inverse);
  return arr;
}

}  // namespace

void bind_objects(nb::module_& m) {
  nb::class_<ArrayReducer>(m, "ArrayReducer",
                           "The reducer_override and buffer callback of one segpack.objects pickler (private).")
      .def(nb::init<nb::object, nb::object, nb::object, nb::object, nb::object>(), nb::arg("ndarray"),
           nb::arg("fallback"), nb::arg("rebuild"), nb::arg("buffer_object"), nb::arg("user_callback").none(),
           nb::sig("def __init__(self, ndarray: type, fallback: collections.abc.Callable[[typing.Any], typing.Any], "
                   "rebuild: collections.abc.Callable[..., typing.Any], buffer_object: type, "
                   "user_callback: collections.abc.Callable[[typing.Any], typing.Any] | None) -> None"),
           "A reducer for one dump: exact C-contiguous ndarrays of `ndarray` become (rebuild, (PickleBuffer,\n"
           "dtype, shape)); everything else is `fallback(obj)`. `user_callback` is the caller's buffer\n"
           "callback, called by `callback` with a `buffer_object` instance.")
      .def("__call__", &ArrayReducer::reduce, nb::arg("obj"),
           nb::sig("def __call__(self, obj: typing.Any, /) -> typing.Any"),
           "The pickler's reducer_override: returns a reduce tuple, or what `fallback` returns.")
      .def("callback", &ArrayReducer::callback, nb::arg("pb"),
           nb::sig("def callback(self, pb: pickle.PickleBuffer, /) -> typing.Any"),
           "The pickler's buffer_callback: wraps `pb` in a buffer object for the user's callback and\n"
           "records the size of each buffer it sends out-of-band. Returns the user's answer.")
      .def("sizes", &ArrayReducer::sizes, nb::sig("def sizes(self) -> list[int]"),
           "Returns the sizes in bytes of the buffers sent out-of-band so far, in order.");

  m.def(
      "make_rebuild_array",
      [](nb::module_ scope, nb::object ndarray, nb::object dtype_type, nb::object empty) {
        Numpy np{std::move(ndarray), std::move(dtype_type), std::move(empty)};
        return nb::cpp_function(
            [np](nb::handle buf, nb::handle dtype, nb::handle shape, nb::handle axes) {
              return rebuild_array(np, buf, dtype, shape, axes);
            },
            nb::scope(scope), nb::name("_rebuild_array"), nb::arg("buf"), nb::arg("dtype"), nb::arg("shape"),
            nb::arg("axes").none() = nb::none(),
            nb::sig("def _rebuild_array(buf: typing.Any, dtype: typing.Any, shape: typing.Any, axes: typing.Any = "
                    "None) -> typing.Any"),
            "Rebuilds an array written by segpack's reducer: `buf` holds the elements in C order of the\n"
            "axes permuted by `axes` (None: C order). Returns a view of `buf` (read-only when `buf` is).\n"
            "Raises ValidationError when the arguments do not describe `buf`: dtype not a numpy dtype or\n"
            "holding objects, shape not a tuple of non-negative ints, a size that is not the buffer's,\n"
            "a buffer that is not bytes-like, an invalid axis order.");
      },
      nb::arg("scope"), nb::arg("ndarray"), nb::arg("dtype_type"), nb::arg("empty"),
      nb::sig("def make_rebuild_array(scope: types.ModuleType, ndarray: type, dtype_type: type, "
              "empty: collections.abc.Callable[..., typing.Any]) -> collections.abc.Callable[..., typing.Any]"),
      "Returns segpack.objects' array reconstructor, named `_rebuild_array` in the module `scope` (so that\n"
      "pickle names it there), built on numpy's `ndarray`, `dtype` and `empty`.");
}

}  // namespace segpack::py
