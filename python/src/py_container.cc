// Python object files: thin bindings of include/segpack/container.h
// (ContainerWriter, ContainerReader) under the pickle glue of
// python/segpack/objfile.py. Bulk work (compression, writing, decoding, crc
// checks) runs without the GIL; a stream sink takes it back for each write.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_codecs.h"
#include "py_errors.h"
#include "py_sig.h"
#include "py_sources.h"
#include "segpack/container.h"

namespace segpack::py {

namespace {

/// One buffer of a container handed to Python: exported read-only, or writable
/// when `writable` and the memory is (a copy-on-write mapping, memory read from
/// the file, a decoded buffer). The export keeps the owner (the mapping) alive.
struct ContainerView {
  Buffer buf;
  bool writable = false;
};

int view_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  static std::uint8_t empty[1] = {0};  // a valid pointer for empty exports
  if (!check_ready(self)) return -1;
  const ContainerView& v = *nb::inst_ptr<ContainerView>(self);
  const bool readonly = !(v.writable && v.buf.writable());
  void* p = v.buf.empty() ? empty : const_cast<std::uint8_t*>(v.buf.data());
  return PyBuffer_FillInfo(view, self, p, static_cast<Py_ssize_t>(v.buf.size()), readonly ? 1 : 0, flags);
}
void view_releasebuffer(PyObject*, Py_buffer*) {}
PyType_Slot view_slots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(view_getbuffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(view_releasebuffer)},
    {0, nullptr},
};

nb::object view_of(Buffer b, bool writable) {
  nb::object holder = nb::cast(ContainerView{std::move(b), writable});
  PyObject* mv = PyMemoryView_FromObject(holder.ptr());
  if (mv == nullptr) throw nb::python_error();
  return nb::steal(mv);
}

ParallelOptions parallel_of(int threads) {
  ParallelOptions p;
  p.threads = threads < 0 ? 0 : (threads == 0 ? 1 : static_cast<std::size_t>(threads));
  return p;
}

struct PyWriter {
  ContainerWriter w;
};

struct PyReader {
  ContainerReader r;
  std::shared_ptr<PySliceSource> source;  // open_source's, or null

  /// Unwraps `res`, raising first what the Python range reader raised during
  /// the call (a RemoteError) when it is the cause. Holds the GIL.
  template <class T>
  T unwrap_read(Result<T> res) const {
    if (!res.ok() && source) source->rethrow_pending();
    return unwrap(std::move(res));
  }
};

// Writes `b` to the Python stream's write(), looping over short writes. Holds
// the GIL. Throws nb::python_error.
void write_all(const nb::object& write, ByteSpan b) {
  while (!b.empty()) {
    PyObject* mv = PyMemoryView_FromMemory(reinterpret_cast<char*>(const_cast<std::uint8_t*>(b.data())),
                                           static_cast<Py_ssize_t>(b.size()), PyBUF_READ);
    if (mv == nullptr) throw nb::python_error();
    nb::object view = nb::steal(mv);
    nb::object n = write(view);
    view.attr("release")();  // a stream that kept the view gets an error, not freed memory
    const std::size_t k = n.is_none() ? 0 : PyLong_AsSize_t(n.ptr());
    if (k == static_cast<std::size_t>(-1) && PyErr_Occurred()) throw nb::python_error();
    if (k == 0 || k > b.size()) {
      PyErr_Format(PyExc_OSError, "the stream's write() returned %R for %zu bytes", n.ptr(), b.size());
      throw nb::python_error();
    }
    b = b.subspan(k);
  }
}

// Runs `open` (a ContainerReader opener) without the GIL: it reads a file,
// or a Python range reader that takes the GIL back for each read.
template <class Open>
Result<ContainerReader> open_released(Open open) {
  nb::gil_scoped_release release;
  return open();
}

nb::tuple info_tuple(const ContainerReader& r, std::size_t i) {
  const ContainerBufferInfo& b = r.info(i);
  const ByteSpan meta = r.metadata(i);
  return nb::make_tuple(b.offset, b.stored_length, b.raw_length, codec_to_py(b.codec), b.crc32c, b.alignment,
                        nb::bytes(reinterpret_cast<const char*>(meta.data()), meta.size()));
}

}  // namespace

void bind_container(nb::module_& m) {
  nb::class_<ContainerView>(m, "_ContainerView", nb::type_slots(view_slots),
                            "A buffer of an object file, kept alive with the mapping or memory it lives in.")
      .def("__len__", [](const ContainerView& v) { return v.buf.size(); });

  nb::class_<PyWriter>(m, "ContainerWriter",
                       "Collects buffers and a payload, then writes an object container "
                       "(include/segpack/container.h). Private: use segpack.dump.")
      .def(
          "__init__",
          [](PyWriter* self, std::uint64_t alignment, int threads, bool durable) {
            ContainerWriteOptions o;
            o.alignment = alignment;
            o.parallel = parallel_of(threads);
            o.durable = durable;
            new (self) PyWriter{unwrap(ContainerWriter::make(o))};
          },
          nb::arg("alignment") = kContainerDefaultAlignment, nb::arg("threads") = -1, nb::arg("durable") = true,
          nb::sig("def __init__(self, alignment: int = 4096, threads: int = -1, durable: bool = True) -> None"),
          "A writer whose uncompressed buffers are aligned to `alignment` by default; `threads` bounds the\n"
          "workers (-1: the pool); `durable`: write_file fsyncs before the rename.\n\n"
          "Raises ValueError for an alignment that is not a power of two up to 2**30.")
      .def(
          "add_buffer",
          [](PyWriter& self, nb::handle data, nb::handle codec, std::optional<int> level, std::uint64_t alignment,
             nb::bytes metadata) {
            ContainerBufferOptions o;
            o.codec = codec_from_arg(codec);
            o.level = level;
            o.alignment = alignment;
            o.metadata = ByteSpan(static_cast<const std::uint8_t*>(metadata.data()), metadata.size());
            Buffer b = require_buffer(data, "%s must be a bytes-like object, not %s", "data");
            return unwrap(self.w.add_buffer(std::move(b), o));
          },
          nb::arg("data"), nb::arg("codec").none() = nb::none(), nb::arg("level").none() = nb::none(),
          nb::arg("alignment") = 0, nb::arg("metadata") = nb::bytes(""),
          nb::sig("def add_buffer(self, data: " SEGPACK_PY_BYTES_LIKE ", codec: " SEGPACK_PY_CODEC
                  " = None, level: int | None = None, alignment: int = 0, metadata: bytes = b'') -> int"),
          "Adds a buffer (kept alive, not copied: keep it unchanged until written) stored with `codec` at\n"
          "`level`, aligned to `alignment` (0: the writer's default when uncompressed, 1 when compressed),\n"
          "with an opaque `metadata` blob. Returns its index.\n\n"
          "Raises UnsupportedCompressionType for an unknown codec, ValueError for a bad level or alignment.")
      .def(
          "set_payload",
          [](PyWriter& self, nb::handle data) {
            self.w.set_payload(require_buffer(data, "%s must be a bytes-like object, not %s", "payload"));
          },
          nb::arg("data"), nb::sig("def set_payload(self, data: " SEGPACK_PY_BYTES_LIKE ") -> None"),
          "Sets the payload (kept alive, not copied). Returns None.")
      .def("__len__", [](const PyWriter& self) { return self.w.size(); })
      .def(
          "write_file",
          [](const PyWriter& self, nb::handle path) {
            const std::string p = path_string(path);
            Status st;
            {
              nb::gil_scoped_release release;
              st = self.w.write_file(p);
            }
            check(st);
          },
          nb::arg("path"), nb::sig("def write_file(self, path: " SEGPACK_PY_PATH ") -> None"),
          "Writes the container to `path` atomically (a temporary file renamed over it; fsynced first when\n"
          "durable), compressing on the pool without the GIL. Returns None.\n\n"
          "Raises OSError (the old file is left as it was), CompressionError.")
      .def(
          "write_to",
          [](const PyWriter& self, nb::handle stream) {
            nb::object write = stream.attr("write");
            std::optional<nb::python_error> error;
            std::uint64_t total = 0;
            Status st;
            {
              nb::gil_scoped_release release;
              st = self.w.write_to([&](ByteSpan b) -> Status {
                nb::gil_scoped_acquire gil;
                try {
                  write_all(write, b);
                } catch (nb::python_error& e) {
                  error.emplace(std::move(e));
                  return io_error("the stream's write() raised");
                }
                total += b.size();
                return Status::OK();
              });
            }
            if (error) {
              error->restore();
              throw nb::python_error();
            }
            check(st);
            return total;
          },
          nb::arg("stream"), nb::sig("def write_to(self, stream: _typeshed.SupportsWrite[memoryview]) -> int"),
          "Writes the container to `stream` (anything with write()) in order, handing it read-only\n"
          "memoryviews of the memory itself (no intermediate copy; released after each call). Compresses\n"
          "without the GIL. Returns the bytes written.\n\n"
          "Raises what the stream raises, CompressionError.");

  nb::class_<PyReader>(m, "ContainerReader",
                       "A validated object container (include/segpack/container.h). Private: use segpack.load.")
      .def_static(
          "open_file",
          [](nb::handle path, bool mmap, bool copy_on_write, bool verify, int threads) {
            const std::string p = path_string(path);
            ContainerReadOptions o;
            o.mmap = mmap;
            o.copy_on_write = copy_on_write;
            o.verify = verify;
            o.parallel = parallel_of(threads);
            return PyReader{unwrap(open_released([&] { return ContainerReader::open_file(p, o); }))};
          },
          nb::arg("path"), nb::arg("mmap") = true, nb::arg("copy_on_write") = false, nb::arg("verify") = false,
          nb::arg("threads") = -1,
          nb::sig("def open_file(path: " SEGPACK_PY_PATH
                  ", mmap: bool = True, copy_on_write: bool = False, verify: bool = False, threads: int = -1) -> "
                  "ContainerReader"),
          "Opens the file: mapped read-only (default), mapped copy-on-write, or read into memory (mmap=False;\n"
          "each uncompressed buffer's crc checked in the read pass). Checks the header and table. `verify`:\n"
          "buffers() checks the crcs of mapped buffers too (in parallel).\n\n"
          "Raises OSError, TruncatedError, ChecksumError, ValidationError, UnsupportedFormatError.")
      .def_static(
          "open",
          [](nb::handle data, bool writable, bool verify, int threads) {
            std::optional<Buffer> b = buffer_from_object(data.ptr(), writable);
            if (!b) {
              PyErr_Format(PyExc_TypeError, "data must be a bytes-like object, not %s", Py_TYPE(data.ptr())->tp_name);
              throw nb::python_error();
            }
            ContainerReadOptions o;
            o.verify = verify;
            o.parallel = parallel_of(threads);
            return PyReader{unwrap(ContainerReader::open(std::move(*b), o))};
          },
          nb::arg("data"), nb::arg("writable") = false, nb::arg("verify") = false, nb::arg("threads") = -1,
          nb::sig("def open(data: " SEGPACK_PY_BYTES_LIKE
                  ", writable: bool = False, verify: bool = False, threads: int = -1) -> ContainerReader"),
          "Opens a container held in memory (not copied: buffers are views of `data`, writable ones when\n"
          "`writable` and `data` is). Checks the header and table; `verify` as for open_file.\n\n"
          "Raises TypeError for an object without the buffer protocol, then as open_file.")
      .def_static(
          "open_source",
          [](nb::handle reader, std::uint64_t first_read, bool copy, int threads) {
            auto src = std::make_shared<PySliceSource>(nb::borrow(reader));
            ContainerReadOptions o;
            o.first_read = first_read;
            o.copy_fetched = copy;
            o.parallel = parallel_of(threads);
            Result<ContainerReader> r = open_released([&] { return ContainerReader::open_source(src, o); });
            if (!r.ok()) src->rethrow_pending();
            return PyReader{unwrap(std::move(r)), std::move(src)};
          },
          nb::arg("reader"), nb::arg("first_read") = std::uint64_t{1} << 16, nb::arg("copy") = true,
          nb::arg("threads") = -1,
          nb::sig("def open_source(reader: typing.Any, first_read: int = 65536, copy: bool = True, threads: int = "
                  "-1) -> ContainerReader"),
          "Opens a container behind a range reader (segpack.remote.RemoteFile, or any object with slice\n"
          "__getitem__, and read_ranges for batches): the first `first_read` bytes in one read, then what\n"
          "they lack of the payload and table in one batch. Checks the header and table. buffers() then\n"
          "reads the buffers in one batch and checks every crc: `copy` copies uncompressed ones into new\n"
          "writable memory (crc computed in the copy pass), otherwise they are views of the bytes read\n"
          "(read-only bytes objects), checked in place.\n\n"
          "Raises what the reader raises (RemoteError), then as open_file.")
      .def("__len__", [](const PyReader& self) { return self.r.size(); })
      .def_prop_ro(
          "file_size", [](const PyReader& self) { return self.r.file_size(); }, nb::sig("def file_size(self) -> int"),
          "Bytes of the whole container.")
      .def(
          "payload", [](const PyReader& self) { return view_of(self.r.payload(), false); },
          nb::sig("def payload(self) -> memoryview"), "Returns a read-only memoryview of the payload (zero-copy).")
      .def(
          "info",
          [](const PyReader& self, std::size_t i) {
            if (i >= self.r.size()) throw nb::index_error("buffer index out of range");
            return info_tuple(self.r, i);
          },
          nb::arg("index"), nb::sig("def info(self, index: int) -> tuple[int, int, int, str | None, int, int, bytes]"),
          "Returns (offset, stored length, raw length, codec, crc32c, alignment, metadata) of buffer\n"
          "`index`. Raises IndexError for a bad index.")
      .def(
          "infos",
          [](const PyReader& self) {
            nb::list out;
            for (std::size_t i = 0; i < self.r.size(); ++i) out.append(info_tuple(self.r, i));
            return out;
          },
          nb::sig("def infos(self) -> list[tuple[int, int, int, str | None, int, int, bytes]]"),
          "Returns info(i) of every buffer, in order.")
      .def(
          "buffers",
          [](const PyReader& self, bool writable) {
            Result<std::vector<Buffer>> r = [&] {
              nb::gil_scoped_release release;
              return self.r.buffers();
            }();
            std::vector<Buffer> bufs = self.unwrap_read(std::move(r));
            nb::list out;
            for (Buffer& b : bufs) out.append(view_of(std::move(b), writable));
            return out;
          },
          nb::arg("writable") = false, nb::sig("def buffers(self, writable: bool = False) -> list[memoryview]"),
          "Returns a memoryview of every buffer, in order: views of the file for uncompressed buffers\n"
          "(crcs checked in parallel when opened with verify), compressed ones decoded in parallel and\n"
          "checked, all without the GIL. Writable views when `writable` and the memory is. Opened by\n"
          "open_source: all buffers read in one batch, then copied (crc checked in the same pass) or\n"
          "checked in place, compressed ones decoded and checked.\n\n"
          "Raises ChecksumError naming the buffer, DecompressionError, ValidationError, and what the range\n"
          "reader raises (RemoteError).")
      .def(
          "verify",
          [](const PyReader& self) {
            Status st;
            {
              nb::gil_scoped_release release;
              st = self.r.verify();
            }
            if (!st.ok() && self.source) self.source->rethrow_pending();
            check(st);
          },
          nb::sig("def verify(self) -> None"),
          "Checks the payload's and every buffer's crc32c (decoding compressed ones) in parallel, without\n"
          "the GIL. Returns None. Raises ChecksumError naming the lowest bad buffer, DecompressionError.");
}

}  // namespace segpack::py
