#include "py_buffers.h"

#include <memory>

#include "bindings.h"

namespace segpack::py {

namespace {

struct PyBufferOwner {
  Py_buffer view{};
  ~PyBufferOwner() {
    if (view.obj == nullptr) return;
    PyGILState_STATE g = PyGILState_Ensure();
    PyBuffer_Release(&view);
    PyGILState_Release(g);
  }
};

ByteSpan bytes_view_bytes(const BytesView& v) { return v.buf.span(); }

}  // namespace

std::optional<Buffer> buffer_from_object(PyObject* obj, bool try_writable) {
  if (!PyObject_CheckBuffer(obj)) return std::nullopt;
  auto owner = std::make_shared<PyBufferOwner>();
  bool writable = false;
  if (try_writable && PyObject_GetBuffer(obj, &owner->view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) == 0) {
    writable = true;
  } else {
    PyErr_Clear();
    if (PyObject_GetBuffer(obj, &owner->view, PyBUF_C_CONTIGUOUS) != 0) {
      owner->view.obj = nullptr;
      throw nb::python_error();
    }
  }
  const auto* p = static_cast<const std::uint8_t*>(owner->view.buf);
  auto n = static_cast<std::size_t>(owner->view.len);
  return Buffer(p, n, std::shared_ptr<const void>(owner), writable);
}

bool check_ready(PyObject* self) {
  if (nb::inst_ready(self)) return true;
  PyErr_Format(PyExc_TypeError, "%s object is not initialized", Py_TYPE(self)->tp_name);
  return false;
}

void bind_bytes_view(nb::module_& m) {
  nb::class_<BytesView>(m, "_BytesView", nb::type_slots(ReadOnlyBuffer<BytesView, bytes_view_bytes>::slots),
                        "Read-only bytes kept alive by their owner (a memory map or a buffer).")
      .def("__len__", [](const BytesView& v) { return v.buf.size(); });
}

nb::object memoryview_of(Buffer b) {
  nb::object holder = nb::cast(BytesView{std::move(b)});
  PyObject* mv = PyMemoryView_FromObject(holder.ptr());
  if (mv == nullptr) throw nb::python_error();
  return nb::steal(mv);
}

nb::object pairs_array(Buffer pairs, std::size_t n) {
  nb::object np = nb::module_::import_("numpy");
  nb::object arr = np.attr("frombuffer")(memoryview_of(std::move(pairs)), "<u8");
  return arr.attr("reshape")(static_cast<Py_ssize_t>(n), 2);
}

std::function<MutableByteSpan(std::size_t)> BytesOutput::allocator() {
  return [this](std::size_t n) -> MutableByteSpan {
    nb::gil_scoped_acquire gil;
    PyObject* b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
    if (b == nullptr) {
      PyErr_Clear();
      return {};
    }
    obj_ = nb::steal(b);
    return MutableByteSpan(reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(b)), n);
  };
}

}  // namespace segpack::py
