// Codec objects and zstd: the C++ bases of segpack.Compressor / Decompressor
// (and so of ZstdCompressor / ZstdDecompressor, whose python-zstandard
// arguments are parsed in python/segpack/codecs.py), ZstdCompressionDict,
// train_dictionary, and the one-shot call path: one method call goes straight
// to this thread's cached codec context and writes into the returned bytes.
#include "py_zstd.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "py_batch.h"
#include "py_buffers.h"
#include "py_codecs.h"
#include "py_segments.h"
#include "py_sig.h"
#include "segpack/internal/limits.h"

namespace segpack::py {

namespace {

// Below this much input + output the GIL is kept: releasing and taking it
// back costs more than other threads could gain.
constexpr std::size_t kReleaseGilFrom = std::size_t{32} << 10;

PyObject* zstd_twins() {
  static PyObject* twins = [] {
    nb::module_ mod = nb::module_::import_("segpack.errors");
    PyObject* t = mod.attr("_ZSTD_TWINS").ptr();
    Py_INCREF(t);  // kept for the life of the process
    return t;
  }();
  return twins;
}

// The bytes of a bytes-like argument, borrowed for the duration of a call.
class InputBytes {
 public:
  explicit InputBytes(PyObject* o) {
    if (PyBytes_CheckExact(o)) {
      data_ = reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(o));
      size_ = static_cast<std::size_t>(PyBytes_GET_SIZE(o));
      return;
    }
    if (!PyObject_CheckBuffer(o)) {
      PyErr_Format(PyExc_TypeError, "a bytes-like object is required, not %s", Py_TYPE(o)->tp_name);
      throw nb::python_error();
    }
    if (PyObject_GetBuffer(o, &view_, PyBUF_C_CONTIGUOUS) != 0) throw nb::python_error();
    held_ = true;
    data_ = static_cast<const std::uint8_t*>(view_.buf);
    size_ = static_cast<std::size_t>(view_.len);
  }
  ~InputBytes() {
    if (held_) PyBuffer_Release(&view_);
  }
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;
  ByteSpan span() const noexcept { return {data_, size_}; }

 private:
  Py_buffer view_{};
  bool held_ = false;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

MutableByteSpan bytes_span(PyObject* b) {
  return {reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(b)), static_cast<std::size_t>(PyBytes_GET_SIZE(b))};
}

int int_param(nb::handle v, const std::string& name) {
  PyObject* idx = PyNumber_Index(v.ptr());
  if (idx == nullptr) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "zstd parameter %s must be an integer, not %s", name.c_str(),
                 Py_TYPE(v.ptr())->tp_name);
    throw nb::python_error();
  }
  int overflow = 0;
  const long x = PyLong_AsLongAndOverflow(idx, &overflow);
  Py_DECREF(idx);
  if (overflow != 0 || x < INT32_MIN || x > INT32_MAX) {
    throw_codec_status(invalid_argument("zstd: " + name + " is out of range"), Codec::zstd);
  }
  return static_cast<int>(x);
}

// {name: int} (the names of ZstdCompressParams' fields) -> parameters.
ZstdCompressParams compress_params_from(nb::handle params) {
  ZstdCompressParams p;
  if (params.is_none()) return p;
  if (!PyDict_Check(params.ptr())) throw nb::type_error("zstd parameters must be a dict");
  struct IntField {
    const char* name;
    int ZstdCompressParams::*member;
  };
  static const IntField kInts[] = {
      {"window_log", &ZstdCompressParams::window_log},
      {"hash_log", &ZstdCompressParams::hash_log},
      {"chain_log", &ZstdCompressParams::chain_log},
      {"search_log", &ZstdCompressParams::search_log},
      {"min_match", &ZstdCompressParams::min_match},
      {"target_length", &ZstdCompressParams::target_length},
      {"strategy", &ZstdCompressParams::strategy},
      {"enable_ldm", &ZstdCompressParams::enable_ldm},
      {"ldm_hash_log", &ZstdCompressParams::ldm_hash_log},
      {"ldm_min_match", &ZstdCompressParams::ldm_min_match},
      {"ldm_bucket_size_log", &ZstdCompressParams::ldm_bucket_size_log},
      {"ldm_hash_rate_log", &ZstdCompressParams::ldm_hash_rate_log},
      {"threads", &ZstdCompressParams::threads},
      {"job_size", &ZstdCompressParams::job_size},
      {"overlap_log", &ZstdCompressParams::overlap_log},
      {"force_max_window", &ZstdCompressParams::force_max_window},
      {"format", &ZstdCompressParams::format},
  };
  struct BoolField {
    const char* name;
    bool ZstdCompressParams::*member;
  };
  static const BoolField kBools[] = {
      {"write_checksum", &ZstdCompressParams::write_checksum},
      {"write_content_size", &ZstdCompressParams::write_content_size},
      {"write_dict_id", &ZstdCompressParams::write_dict_id},
  };
  for (auto [k, v] : nb::borrow<nb::dict>(params)) {
    const std::string name = nb::cast<std::string>(k);
    bool found = false;
    for (const IntField& f : kInts) {
      if (name == f.name) {
        p.*f.member = int_param(v, name);
        found = true;
      }
    }
    for (const BoolField& f : kBools) {
      if (name == f.name) {
        const int t = PyObject_IsTrue(v.ptr());
        if (t < 0) throw nb::python_error();
        p.*f.member = t != 0;
        found = true;
      }
    }
    if (!found) throw nb::value_error(("unknown zstd compression parameter '" + name + "'").c_str());
  }
  return p;
}

// ---------------------------------------------------------------- ZstdCompressionDict

struct PyZstdDict {
  std::shared_ptr<const ZstdDictionary> dict;
  unsigned k = 0;
  unsigned d = 0;
};

std::shared_ptr<const ZstdDictionary> dict_from(nb::handle h) {
  if (h.is_none()) return nullptr;
  if (!nb::isinstance<PyZstdDict>(h)) {
    PyErr_Format(PyExc_TypeError, "dict_data must be a ZstdCompressionDict, not %s", Py_TYPE(h.ptr())->tp_name);
    throw nb::python_error();
  }
  if (!nb::inst_ready(h)) throw nb::type_error("ZstdCompressionDict object is not initialized");
  return nb::inst_ptr<PyZstdDict>(h)->dict;
}

// ---------------------------------------------------------------- codec objects

struct PyCodecCompressor {
  Codec codec = Codec::zstd;
  std::optional<int> level;
  ZstdCompressParams zstd;
};

struct PyCodecDecompressor {
  Codec codec = Codec::zstd;
  std::optional<std::uint64_t> max_output_size;
  ZstdDecompressParams zstd;
};

std::string level_text(const std::optional<int>& level) { return level ? std::to_string(*level) : "None"; }

// The class name of a codec object (a Python subclass's: Compressor, ZstdCompressor, ...).
std::string class_name(nb::handle self) {
  const char* n = Py_TYPE(self.ptr())->tp_name;
  const char* dot = std::strrchr(n, '.');
  return dot != nullptr ? dot + 1 : n;
}

// ZstdCompressor / ZstdDecompressor name their codec already.
bool implies_zstd(const std::string& name) { return name.rfind("Zstd", 0) == 0; }

// The zstd frame and low-level parameters not at their default, as " name=value" each.
std::string frame_params_text(const ZstdCompressParams& p) {
  const ZstdCompressParams def;
  std::string s;
  if (p.write_checksum != def.write_checksum) s += " write_checksum=True";
  if (p.write_content_size != def.write_content_size) s += " write_content_size=False";
  if (p.write_dict_id != def.write_dict_id) s += " write_dict_id=False";
  const std::pair<const char*, int> ints[] = {
      {"window_log", p.window_log},
      {"hash_log", p.hash_log},
      {"chain_log", p.chain_log},
      {"search_log", p.search_log},
      {"min_match", p.min_match},
      {"target_length", p.target_length},
      {"strategy", p.strategy},
      {"enable_ldm", p.enable_ldm},
      {"ldm_hash_log", p.ldm_hash_log},
      {"ldm_min_match", p.ldm_min_match},
      {"ldm_bucket_size_log", p.ldm_bucket_size_log},
      {"ldm_hash_rate_log", p.ldm_hash_rate_log},
      {"threads", p.threads},
      {"job_size", p.job_size},
      {"overlap_log", p.overlap_log},
      {"force_max_window", p.force_max_window},
      {"format", p.format},
  };
  for (const auto& [name, value] : ints) {
    if (value != 0) s += std::string(" ") + name + "=" + std::to_string(value);
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- errors, codec names

void throw_codec_status(const Status& st, Codec codec) {
  set_error(st);
  if (codec == Codec::zstd) {
    PyObject* type = PyErr_Occurred();
    PyObject* twin = type != nullptr ? PyDict_GetItemWithError(zstd_twins(), type) : nullptr;
    if (twin != nullptr) {
      PyErr_Clear();
      PyErr_SetString(twin, st.message().c_str());
    }
  }
  throw nb::python_error();
}

Codec codec_arg(nb::handle arg) {
  if (PyUnicode_CheckExact(arg.ptr())) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(arg.ptr(), &n);
    if (s != nullptr) {
      const std::string_view v(s, static_cast<std::size_t>(n));
      for (Codec c : kAllCodecs) {
        if (v == codec_name(c)) return c;
      }
    } else {
      PyErr_Clear();
    }
  }
  return codec_from_arg(arg);
}

// ---------------------------------------------------------------- one-shot calls

nb::bytes compress_to_bytes(nb::handle data, Codec codec, std::optional<int> level, const ZstdCompressParams& zstd) {
  InputBytes in(data.ptr());
  const ByteSpan s = in.span();
  const std::size_t bound = compress_bound(codec, s.size(), level, zstd);
  if (bound == SIZE_MAX || bound > static_cast<std::size_t>(PY_SSIZE_T_MAX)) {
    // compress_into says why (a bad level or parameter, or an input too large).
    std::uint8_t none[1];
    Result<std::size_t> r = compress_into(codec, s, {none, 0}, level, zstd);
    check_codec(r.ok() ? resource_exhausted("input of " + std::to_string(s.size()) + " bytes is too large to compress")
                       : r.status(),
                codec);
  }
  PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(bound));
  if (out == nullptr) throw nb::python_error();
  Result<std::size_t> r = std::size_t{0};
  if (s.size() >= kReleaseGilFrom) {
    nb::gil_scoped_release nogil;
    r = compress_into(codec, s, bytes_span(out), level, zstd);
  } else {
    r = compress_into(codec, s, bytes_span(out), level, zstd);
  }
  if (!r.ok()) {
    Py_DECREF(out);
    throw_codec_status(r.status(), codec);
  }
  if (*r != bound && _PyBytes_Resize(&out, static_cast<Py_ssize_t>(*r)) != 0) throw nb::python_error();
  return nb::steal<nb::bytes>(out);
}

nb::bytes decompress_to_bytes(nb::handle data, Codec codec, std::optional<std::uint64_t> max_output,
                              const ZstdDecompressParams& zstd) {
  InputBytes in(data.ptr());
  const ByteSpan s = in.span();
  DecompressOptions opts;
  if (max_output) opts.max_output = static_cast<std::size_t>(std::min<std::uint64_t>(*max_output, SIZE_MAX));
  // A size the stream declares (zstd) is trusted for one exact allocation when
  // it fits the cap and is a plausible expansion; libzstd checks it anyway.
  if (codec == Codec::zstd || codec == Codec::none) {
    const std::optional<std::uint64_t> declared = codec == Codec::none ? s.size() : declared_size(codec, s);
    if (declared && *declared <= opts.max_output && *declared <= internal::plausible_output(s.size()) &&
        *declared <= static_cast<std::uint64_t>(PY_SSIZE_T_MAX)) {
      PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(*declared));
      if (out == nullptr) throw nb::python_error();
      Status st;
      if (s.size() + *declared >= kReleaseGilFrom) {
        nb::gil_scoped_release nogil;
        st = decompress_into(codec, s, bytes_span(out), zstd);
      } else {
        st = decompress_into(codec, s, bytes_span(out), zstd);
      }
      if (!st.ok()) {
        Py_DECREF(out);
        throw_codec_status(st, codec);
      }
      return nb::steal<nb::bytes>(out);
    }
  }
  Result<std::vector<std::uint8_t>> r = std::vector<std::uint8_t>();
  {
    nb::gil_scoped_release nogil;
    r = decompress(codec, s, opts, zstd);
  }
  const std::vector<std::uint8_t> v = unwrap_codec(std::move(r), codec);
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

// ---------------------------------------------------------------- bindings

void bind_zstd(nb::module_& m) {
  zstd_twins();  // fail at import, not at the first error, if segpack.errors lacks it

  nb::class_<PyZstdDict>(
      m, "ZstdCompressionDict",
      "A zstd dictionary (python-zstandard's ZstdCompressionDict). `data` is copied; nothing is parsed until the "
      "dictionary is first used, which digests it once (per compression level, and once for decompression) for "
      "every compressor, decompressor and batch worker that uses it. dict_type: DICT_TYPE_AUTO (a full "
      "dictionary when `data` starts with the dictionary magic, raw content otherwise), DICT_TYPE_RAWCONTENT or "
      "DICT_TYPE_FULLDICT. k and d: the cover parameters train_dictionary chose (0 otherwise).")
      .def(
          "__init__",
          [](PyZstdDict* self, nb::handle data, int dict_type, unsigned k, unsigned d) {
            InputBytes in(data.ptr());
            if (dict_type < 0 || dict_type > 2) {
              PyErr_Format(PyExc_ValueError, "invalid dictionary load mode: %d; must use DICT_TYPE_* constants",
                           dict_type);
              throw nb::python_error();
            }
            auto dict =
                unwrap_codec(ZstdDictionary::make(in.span(), static_cast<ZstdDictType>(dict_type)), Codec::zstd);
            new (self) PyZstdDict{std::move(dict), k, d};
          },
          nb::arg("data"), nb::arg("dict_type") = 0, nb::arg("k") = 0, nb::arg("d") = 0,
          nb::sig("def __init__(self, data: " SEGPACK_PY_BYTES_LIKE
                  ", dict_type: int = 0, k: int = 0, d: int = 0) -> None"),
          "Makes a dictionary from a copy of `data` (any bytes-like object); returns nothing. Raises TypeError "
          "when `data` is not bytes-like and ValueError for a dict_type other than the DICT_TYPE_* constants. "
          "The data is parsed on first use: DICT_TYPE_FULLDICT data that is not a dictionary raises a ZstdError "
          "then.")
      .def(
          "__len__", [](const PyZstdDict& d) { return d.dict->bytes().size(); }, nb::sig("def __len__(self) -> int"),
          "Returns the size of the dictionary in bytes.")
      .def(
          "as_bytes",
          [](const PyZstdDict& d) {
            const ByteSpan b = d.dict->bytes();
            return nb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
          },
          nb::sig("def as_bytes(self) -> bytes"),
          "Returns the dictionary bytes (to store it, or to rebuild it with ZstdCompressionDict(data)). Raises "
          "nothing.")
      .def(
          "dict_id", [](const PyZstdDict& d) { return d.dict->id(); }, nb::sig("def dict_id(self) -> int"),
          "Returns the dictionary id in its header (what frames compressed with it record); 0 for raw content. "
          "Raises nothing.")
      .def_prop_ro(
          "dict_type", [](const PyZstdDict& d) { return static_cast<int>(d.dict->type()); },
          nb::for_getter(nb::sig("def dict_type(self) -> int")),
          "DICT_TYPE_AUTO (0), DICT_TYPE_RAWCONTENT (1) or DICT_TYPE_FULLDICT (2).")
      .def_prop_ro(
          "k", [](const PyZstdDict& d) { return d.k; }, nb::for_getter(nb::sig("def k(self) -> int")),
          "Cover segment size chosen by training (or 0).")
      .def_prop_ro(
          "d", [](const PyZstdDict& d) { return d.d; }, nb::for_getter(nb::sig("def d(self) -> int")),
          "Cover dmer size chosen by training (or 0).")
      .def(
          "precompute_compress",
          [](const PyZstdDict& d, int level, nb::handle compression_params) {
            if (level != 0 && !compression_params.is_none()) {
              throw nb::value_error("must only specify one of level or compression_params");
            }
            if (level == 0 && compression_params.is_none()) {
              throw nb::value_error("must specify one of level or compression_params");
            }
            if (!compression_params.is_none()) {
              level = nb::cast<int>(compression_params.attr("compression_level"));
            }
            Status st;
            {
              nb::gil_scoped_release nogil;
              st = d.dict->prepare_compression(level);
            }
            check_codec(st, Codec::zstd);
          },
          nb::arg("level") = 0, nb::arg("compression_params") = nb::none(),
          nb::sig("def precompute_compress(self, level: int = 0, compression_params: typing.Any | None = None) "
                  "-> None"),
          "Digests the dictionary for compression at `level` now instead of on first use (or for "
          "compression_params.compression_level: a ZstdCompressionParameters, segpack's or python-zstandard's); "
          "returns nothing. Unlike python-zstandard's, this does not change the frames later compressors write: "
          "segpack always shares one digest per level. Raises ValueError unless exactly one of level and "
          "compression_params is given, ZstdCompressionError when the dictionary is corrupt.")
      .def(
          "__reduce__",
          [](nb::handle self) {
            const PyZstdDict& d = *nb::inst_ptr<PyZstdDict>(self);
            const ByteSpan b = d.dict->bytes();
            nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
            return nb::make_tuple(cls, nb::make_tuple(nb::bytes(reinterpret_cast<const char*>(b.data()), b.size()),
                                                      static_cast<int>(d.dict->type()), d.k, d.d));
          },
          nb::sig("def __reduce__(self) -> tuple[type[ZstdCompressionDict], tuple[bytes, int, int, int]]"),
          "Returns what pickle needs to rebuild the dictionary: (class, (bytes, dict_type, k, d)).")
      .def(
          "__repr__",
          [](const PyZstdDict& d) {
            std::string s = "<segpack.ZstdCompressionDict dict_id=" + std::to_string(d.dict->id()) +
                            " size=" + std::to_string(d.dict->bytes().size()) +
                            " type=" + std::to_string(static_cast<int>(d.dict->type()));
            if (d.k != 0 || d.d != 0) s += " k=" + std::to_string(d.k) + " d=" + std::to_string(d.d);
            return s + ">";
          },
          nb::sig("def __repr__(self) -> str"));

  m.def(
      "train_dictionary",
      [](std::size_t dict_size, nb::handle samples, unsigned k, unsigned d, unsigned f, double split_point,
         unsigned accel, unsigned notifications, std::uint32_t dict_id, int level, unsigned steps, int threads) {
        if (!PyList_Check(samples.ptr())) throw nb::type_error("samples must be a list");
        BatchInput in = batch_input(samples);
        ZstdTrainOptions o;
        o.k = k;
        o.d = d;
        o.f = f;
        o.split_point = split_point;
        o.accel = accel;
        o.notifications = notifications;
        o.dict_id = dict_id;
        o.level = level;
        o.steps = steps;
        o.threads = threads < 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<unsigned>(threads);
        Result<ZstdTrainResult> r = ZstdTrainResult{};
        {
          nb::gil_scoped_release nogil;
          r = train_zstd_dictionary(in.spans, dict_size, o);
        }
        ZstdTrainResult t = unwrap_codec(std::move(r), Codec::zstd);
        return PyZstdDict{std::move(t.dictionary), t.k, t.d};
      },
      nb::arg("dict_size"), nb::arg("samples"), nb::arg("k") = 0, nb::arg("d") = 0, nb::arg("f") = 0,
      nb::arg("split_point") = 0.0, nb::arg("accel") = 0, nb::arg("notifications") = 0, nb::arg("dict_id") = 0,
      nb::arg("level") = 0, nb::arg("steps") = 0, nb::arg("threads") = 0,
      nb::sig("def train_dictionary(dict_size: int, samples: list[bytes] | list[" SEGPACK_PY_BYTES_LIKE
              "], k: int = 0, d: int = 0, f: int = 0, split_point: float = 0.0, accel: int = 0, "
              "notifications: int = 0, dict_id: int = 0, level: int = 0, steps: int = 0, threads: int = 0) "
              "-> ZstdCompressionDict"),
      "Trains a zstd dictionary of at most `dict_size` bytes from `samples` (a list of bytes-like objects) with "
      "libzstd's fastCover trainer, as python-zstandard's train_dictionary (same arguments and defaults: with "
      "steps and threads 0 it tries 4 values of k with d = 8, as ZDICT_trainFromBuffer does). Returns a "
      "ZstdCompressionDict (DICT_TYPE_FULLDICT) with the chosen k and d. Raises ZstdParameterError (a "
      "ValueError) when libzstd cannot train one, e.g. from too few or too small samples, and TypeError when "
      "`samples` is not a list of bytes-like objects.");

  nb::class_<PyCodecCompressor>(m, "_CodecCompressor",
                                "C++ base of segpack.Compressor: the codec, level and zstd parameters, and the "
                                "compress / multi_compress_to_buffer methods.")
      .def(
          "__init__",
          [](PyCodecCompressor* self, nb::handle codec, std::optional<int> level, nb::handle params,
             nb::handle dict_data) {
            const Codec c = codec_from_arg(codec);
            ZstdCompressParams p = compress_params_from(params);
            p.dictionary = dict_from(dict_data);
            if (c != Codec::zstd && !(p == ZstdCompressParams{})) {
              throw nb::value_error("zstd parameters are only for codec 'zstd'");
            }
            if (c == Codec::zstd) check_codec(validate(p), c);
            new (self) PyCodecCompressor{c, level, std::move(p)};
          },
          nb::arg("codec").none() = "zstd", nb::arg("level") = nb::none(), nb::arg("params") = nb::none(),
          nb::arg("dict_data") = nb::none(),
          nb::sig("def __init__(self, codec: " SEGPACK_PY_CODEC " = 'zstd', level: int | None = None, "
                  "params: dict[str, int] | None = None, dict_data: ZstdCompressionDict | None = None) -> None"),
          "Sets the codec, level, zstd parameters ({name: int}, zstd only) and dictionary; returns nothing. "
          "Raises UnsupportedCompressionType for an unknown codec, ValueError for zstd parameters with another "
          "codec or an unknown parameter name, ZstdParameterError for a parameter out of libzstd's bounds.")
      .def_prop_ro(
          "codec", [](const PyCodecCompressor& c) { return codec_to_py(c.codec); },
          nb::for_getter(nb::sig("def codec(self) -> str | None")), "The codec name (None for no compression).")
      .def_prop_ro(
          "level", [](const PyCodecCompressor& c) { return c.level; },
          nb::for_getter(nb::sig("def level(self) -> int | None")), "The level (None: the codec's default).")
      .def(
          "compress",
          [](const PyCodecCompressor& c, nb::handle data) { return compress_to_bytes(data, c.codec, c.level, c.zstd); },
          nb::arg("data"), nb::sig("def compress(self, data: " SEGPACK_PY_BYTES_LIKE ") -> bytes"),
          "Returns one item (any bytes-like object) compressed as bytes: one whole frame or stream. Reuses this "
          "thread's context for the codec and parameters (no context per call); the GIL is released for items of "
          "32 KiB and more. Raises TypeError for data that is not bytes-like, CompressionError "
          "(ZstdCompressionError for zstd) when the codec fails.")
      .def(
          "multi_compress_to_buffer",
          [](const PyCodecCompressor& c, nb::handle data, int threads) {
            return multi_compress(data, c.codec, c.level, threads, c.zstd);
          },
          nb::arg("data"), nb::arg("threads") = 0,
          nb::sig("def multi_compress_to_buffer(self, data: " SEGPACK_PY_BATCH_INPUT
                  ", threads: int = 0) -> BufferWithSegmentsCollection"),
          "Returns every item of `data` (a list of bytes-like objects, a BufferWithSegments or a "
          "BufferWithSegmentsCollection), in order, as a BufferWithSegmentsCollection backed by one buffer. "
          "threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n (python-zstandard's rule). Raises "
          "TypeError for an item that is not bytes-like, CompressionError (ZstdCompressionError) when the codec "
          "fails.")
      .def(
          "__repr__",
          [](nb::handle self) {
            const PyCodecCompressor& c = *nb::inst_ptr<PyCodecCompressor>(self);
            const std::string name = class_name(self);
            std::string s = "<segpack." + name;
            if (!implies_zstd(name)) s += " codec=" + std::string(codec_name(c.codec));
            s += " level=" + level_text(c.level) + frame_params_text(c.zstd);
            if (c.zstd.dictionary) s += " dict_id=" + std::to_string(c.zstd.dictionary->id());
            return s + ">";
          },
          nb::sig("def __repr__(self) -> str"));

  nb::class_<PyCodecDecompressor>(m, "_CodecDecompressor",
                                  "C++ base of segpack.Decompressor: the codec, output cap and zstd parameters, and "
                                  "the decompress / multi_decompress_to_buffer methods.")
      .def(
          "__init__",
          [](PyCodecDecompressor* self, nb::handle codec, std::optional<std::uint64_t> max_output_size,
             nb::handle dict_data, std::uint64_t max_window_size, int format) {
            const Codec c = codec_from_arg(codec);
            ZstdDecompressParams p;
            p.dictionary = dict_from(dict_data);
            p.max_window_size = max_window_size;
            p.format = format;
            if (c != Codec::zstd && !(p == ZstdDecompressParams{})) {
              throw nb::value_error("zstd parameters are only for codec 'zstd'");
            }
            if (c == Codec::zstd) check_codec(validate(p), c);
            new (self) PyCodecDecompressor{c, max_output_size, std::move(p)};
          },
          nb::arg("codec").none() = "zstd", nb::arg("max_output_size") = nb::none(), nb::arg("dict_data") = nb::none(),
          nb::arg("max_window_size") = 0, nb::arg("format") = 0,
          nb::sig("def __init__(self, codec: " SEGPACK_PY_CODEC " = 'zstd', max_output_size: int | None = None, "
                  "dict_data: ZstdCompressionDict | None = None, max_window_size: int = 0, format: int = 0) "
                  "-> None"),
          "Sets the codec, output cap and zstd settings (dictionary, window cap, frame format: zstd only); "
          "returns nothing. Raises UnsupportedCompressionType for an unknown codec, ValueError for zstd settings "
          "with another codec, ZstdParameterError for an unsupported format or window size.")
      .def_prop_ro(
          "codec", [](const PyCodecDecompressor& d) { return codec_to_py(d.codec); },
          nb::for_getter(nb::sig("def codec(self) -> str | None")), "The codec name (None for no compression).")
      .def_prop_ro(
          "max_output_size", [](const PyCodecDecompressor& d) { return d.max_output_size; },
          nb::for_getter(nb::sig("def max_output_size(self) -> int | None")),
          "Cap on one decompress() result and on a whole multi_decompress_to_buffer output (None: 4 GiB "
          "per item, 1 GiB per batch).")
      .def(
          "decompress",
          [](const PyCodecDecompressor& d, nb::handle data, std::uint64_t max_output_size, bool, bool) {
            std::optional<std::uint64_t> cap = d.max_output_size;
            if (max_output_size != 0) cap = max_output_size;
            return decompress_to_bytes(data, d.codec, cap, d.zstd);
          },
          nb::arg("data"), nb::arg("max_output_size") = 0, nb::arg("read_across_frames") = false,
          nb::arg("allow_extra_data") = true,
          nb::sig("def decompress(self, data: " SEGPACK_PY_BYTES_LIKE ", max_output_size: int = 0, "
                  "read_across_frames: bool = False, allow_extra_data: bool = True) -> bytes"),
          "Returns one whole item, as bytes. `max_output_size` (0: the object's) caps the result. All of `data` is "
          "decoded: concatenated zstd frames are decoded whole and trailing bytes that are not a frame raise "
          "(python-zstandard stops after the first frame and ignores what follows unless "
          "allow_extra_data=False); read_across_frames and allow_extra_data are accepted for compatibility. "
          "Frames without a content size are decoded too. Raises DecompressionError (ZstdDecompressionError "
          "for zstd) for corrupt data or a wrong or missing dictionary, LimitExceededError past the cap.")
      .def(
          "multi_decompress_to_buffer",
          [](const PyCodecDecompressor& d, nb::handle frames, nb::handle decompressed_sizes, int threads) {
            return multi_decompress(frames, decompressed_sizes, d.codec, threads, d.max_output_size, d.zstd);
          },
          nb::arg("frames"), nb::arg("decompressed_sizes") = nb::none(), nb::arg("threads") = 0,
          nb::sig("def multi_decompress_to_buffer(self, frames: " SEGPACK_PY_BATCH_INPUT
                  ", decompressed_sizes: " SEGPACK_PY_BYTES_LIKE
                  " | collections.abc.Iterable[int] | None = None, threads: int = 0) -> BufferWithSegmentsCollection"),
          "Decodes every frame, in order, into ONE buffer; returns it as a BufferWithSegmentsCollection. "
          "decompressed_sizes: native "
          "u64 per frame (bytes-like as in python-zstandard, a numpy array or a list); 0 = read from the frame. "
          "threads as multi_compress_to_buffer. Raises DecompressionError (ZstdDecompressionError) for a corrupt "
          "frame, LimitExceededError (ZstdLimitExceededError) past max_output_size.")
      .def(
          "__repr__",
          [](nb::handle self) {
            const PyCodecDecompressor& d = *nb::inst_ptr<PyCodecDecompressor>(self);
            const std::string name = class_name(self);
            std::string s = "<segpack." + name;
            if (!implies_zstd(name)) s += " codec=" + std::string(codec_name(d.codec));
            if (d.max_output_size) s += " max_output_size=" + std::to_string(*d.max_output_size);
            if (d.zstd.max_window_size) s += " max_window_size=" + std::to_string(d.zstd.max_window_size);
            if (d.zstd.dictionary) s += " dict_id=" + std::to_string(d.zstd.dictionary->id());
            return s + ">";
          },
          nb::sig("def __repr__(self) -> str"));

  m.def(
      "zstd_check_params", [](nb::handle params) { check_codec(validate(compress_params_from(params)), Codec::zstd); },
      nb::arg("params"), nb::sig("def zstd_check_params(params: dict[str, int]) -> None"),
      "Returns nothing; raises ZstdParameterError naming the first zstd compression parameter out of bounds.");
  m.def(
      "zstd_level_params",
      [](int level, std::uint64_t source_size, std::size_t dict_size) {
        const ZstdLevelParams p = zstd_level_params(level, source_size, dict_size);
        nb::dict d;
        d["window_log"] = p.window_log;
        d["chain_log"] = p.chain_log;
        d["hash_log"] = p.hash_log;
        d["search_log"] = p.search_log;
        d["min_match"] = p.min_match;
        d["target_length"] = p.target_length;
        d["strategy"] = p.strategy;
        return d;
      },
      nb::arg("level"), nb::arg("source_size") = 0, nb::arg("dict_size") = 0,
      nb::sig("def zstd_level_params(level: int, source_size: int = 0, dict_size: int = 0) -> dict[str, int]"),
      "Returns the low-level parameters libzstd derives from a level for an input and dictionary size "
      "(ZSTD_getCParams), as {name: int}. Raises nothing.");
  m.def(
      "zstd_version",
      []() {
        const unsigned v = zstd_version_number();
        return nb::make_tuple(v / 10000, v / 100 % 100, v % 100);
      },
      nb::sig("def zstd_version() -> tuple[int, int, int]"),
      "Returns the version of the libzstd segpack runs with, as (major, minor, patch).");
}

}  // namespace segpack::py
