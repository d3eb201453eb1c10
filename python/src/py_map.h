// The machinery of the map-like Python types (MapBuffer, IntMap, and the next
// one): how they open their data, the open/closed state with close() and the
// context manager, the cyclic-GC slots, `in` and len(), key lookup,
// keys/values/items iteration and the methods every map has.
//
// A map type M derives from MapBase<M, Reader> and provides:
//   static constexpr const char* kName;    // "MapBuffer": messages, repr, segpack.<kName>
//   static constexpr const char* kClosed;  // the ValueError of a closed map
//   nb::object lookup(std::size_t pos);    // m[key] and m.get(key) at index position pos
//   nb::object value(std::size_t pos);     // the value iteration and todict() show
//   int assign(std::size_t pos, PyObject* v);  // m[key] = v: 0, or -1 with the Python error set
// and, when it holds more than MapBase does, hides these (the defaults do nothing):
//   void close_more();                         // drops its own state in close()
//   void prepare_walk();                       // before keys()/items()/todict() walk positions
//   int traverse_more(visitproc v, void* a);   // visits its own Python objects (tp_traverse)
//   void clear_more();                         // drops them (tp_clear)
//   nb::dict options() const;                  // the keyword arguments that reopen it alike
//                                              // (pickle, copy, `m.buffer = data`); default {}
//   std::string describe_more() const;         // repr: what follows the item count
//   std::optional<std::uint64_t> byte_size() const;  // repr: size in bytes, if known
// It may also hide item(pos), the m[key] slot's lookup(), e.g. with a fast path.
// Reader has size(), key_at(i), find(key) -> optional position, header_bytes(),
// validate() and buffer() (the bytes in memory); a default-constructed Reader
// is empty. M must be movable (`m.buffer = data` swaps in a freshly opened map).
//
// The type is bound with nb::type_slots(map_slots<M>) and
// bind_map_methods<M>(cls, module, docs).
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "py_buffers.h"
#include "py_errors.h"
#include "py_keys.h"
#include "py_sig.h"
#include "py_sources.h"

namespace segpack::py {

/// True for an object that is set and not None.
inline bool is_set(const nb::object& o) { return o.is_valid() && !o.is_none(); }

/// `cls(data, **options)`: the normal, validated open of a map type.
inline nb::object open_map_type(nb::handle cls, nb::handle data, const nb::dict& options) {
  nb::object args = nb::make_tuple(data);
  PyObject* r = PyObject_Call(cls.ptr(), args.ptr(), options.ptr());
  if (r == nullptr) throw nb::python_error();
  return nb::steal(r);
}

template <class M, class Reader>
struct MapBase {
  Reader reader;
  bool open = false;
  nb::object pyobj;                       // what tobytes() returns, or None
  nb::object path;                        // absolute path of a mapped file (a str), or None
  std::shared_ptr<PySliceSource> source;  // the range reader, if any (also held by `reader`)
  nb::object lazy;  // (type, data, options) of a map unpickled from a URL, opened on first use; or unset

  /// Opens a lazy map (see open_lazily), or raises ValueError when closed.
  void require_open() const {
    if (open) return;
    if (!is_set(lazy)) throw nb::value_error(M::kClosed);
    const_cast<MapBase*>(this)->materialize();
  }

  /// A lazy map's open: `type(data, **options)`, which then takes its place.
  void materialize() {
    nb::object args = lazy;
    nb::object fresh = open_map_type(args[0], args[1], nb::borrow<nb::dict>(args[2]));
    std::swap(self(), *nb::inst_ptr<M>(fresh));  // `fresh` takes the lazy state away with it
  }

  /// Drops the buffer, mapping or source; views handed out keep what they need.
  void close() {
    open = false;
    lazy = nb::none();
    self().close_more();
    reader = Reader();
    source.reset();
    pyobj = nb::none();
  }

  /// Raises `st`; a source error carries the range reader's own Python
  /// exception, which is preferred.
  [[noreturn]] void raise(const Status& st) {
    if (source) source->rethrow_pending();
    throw_status(st);
  }

  /// Opens `data`: a mapping or (key, value) pairs (a list of them), built
  /// into bytes by `build(mapping or list) -> nb::bytes`, or what
  /// resolve_data() makes of it, through
  /// `open_buffer(Buffer) -> Result<Reader>` or
  /// `open_source(shared_ptr<PySliceSource>) -> Result<Reader>`. __init__
  /// calls it on a map made aside and moves that into the instance at the
  /// end: nanobind does not destroy an instance whose __init__ raised.
  template <class Build, class OpenBuffer, class OpenSource>
  void open_data(nb::handle data, Build&& build, OpenBuffer&& open_buffer, OpenSource&& open_source) {
    nb::object src = data.is_none() ? nb::dict() : nb::borrow(data);
    path = nb::none();
    const bool mapping = is_mapping(src);
    ResolvedData r;
    if (!mapping) r = resolve_data(src, M::kName);
    if (mapping || is_set(r.pairs)) {
      nb::bytes built = build(is_set(r.pairs) ? r.pairs : src);
      reader = unwrap(open_buffer(*buffer_from_object(built.ptr())));
      pyobj = std::move(built);
    } else {
      path = r.path;
      if (r.buf) {
        reader = unwrap(open_buffer(std::move(*r.buf)));
      } else {
        source = r.source;
        auto opened = open_source(r.source);
        if (!opened.ok()) raise(opened.status());
        reader = std::move(*opened);
      }
      pyobj = r.pyobj;
    }
    open = true;
  }

  /// An index position from Python (negative: from the end), or IndexError.
  std::size_t position(Py_ssize_t i) const {
    const auto n = static_cast<Py_ssize_t>(reader.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) throw nb::index_error((std::string(M::kName) + " index position out of range").c_str());
    return static_cast<std::size_t>(i);
  }

  /// lookup(pos) for the m[key] slot: a new reference, or nullptr with the
  /// Python error set.
  PyObject* item(std::size_t pos) {
    try {
      return self().lookup(pos).release().ptr();
    } catch (nb::python_error& e) {
      e.restore();
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
    return nullptr;
  }

  /// Checks everything the core can (for a MapBuffer: that every item decodes too).
  bool validate() {
    require_open();
    const Status st = reader.validate();
    if (!st.ok()) raise(st);
    return true;
  }

  void close_more() {}
  void prepare_walk() {}  // before walking index positions (keys(), todict(), ...)
  int traverse_more(visitproc, void*) { return 0; }
  void clear_more() {}
  nb::dict options() const { return nb::dict(); }
  std::string describe_more() const { return ""; }
  std::optional<std::uint64_t> byte_size() const { return reader.buffer().size(); }

  // ---- copies, pickles, `m.buffer = data`

  /// What copy.copy() reopens: the range reader, the file's path, or the
  /// memory itself (the object the map was built on or read from), all shared.
  nb::object shared_data() const {
    if (source) return source->object();
    if (is_set(path)) return path;
    if (is_set(pyobj) && PyObject_CheckBuffer(pyobj.ptr())) return pyobj;
    return memoryview_of(reader.buffer());  // a file object without a path: its mapping
  }

  /// What a pickle (and copy.deepcopy) stores for the data: the range reader
  /// object; the file's path (never its bytes); or the memory — with protocol
  /// 5 a pickle.PickleBuffer over it (out of band when the pickler takes a
  /// buffer_callback, zero-copy), below 5 bytes (bytearray when writable).
  nb::object pickled_data(int protocol) const {
    if (source) return source->object();
    if (is_set(path)) return path;
    if (!is_set(pyobj)) {
      PyErr_Format(PyExc_TypeError,
                   "cannot pickle a %s opened from a file object whose name is not a path: open it by path, "
                   "or pickle %s(bytes(m.tobytes())) (a copy of its bytes)",
                   M::kName, M::kName);
      throw nb::python_error();
    }
    if (protocol >= 5) return nb::module_::import_("pickle").attr("PickleBuffer")(pyobj);
    if (PyBytes_CheckExact(pyobj.ptr()) || PyByteArray_CheckExact(pyobj.ptr())) return pyobj;
    const Buffer& b = reader.buffer();
    const auto* p = reinterpret_cast<const char*>(b.data());
    const auto n = static_cast<Py_ssize_t>(b.size());
    PyObject* copy = b.writable() ? PyByteArray_FromStringAndSize(p, n) : PyBytes_FromStringAndSize(p, n);
    if (copy == nullptr) throw nb::python_error();
    return nb::steal(copy);
  }

  /// __reduce_ex__: segpack._maps._rebuild(type, data, options), which opens
  /// `type(data, **options)` on load — the normal, validated open.
  nb::object reduce(nb::handle me, int protocol) {
    nb::object rebuild_lazy = nb::module_::import_("segpack._maps").attr("_rebuild");
    if (!open && is_set(lazy)) return nb::make_tuple(rebuild_lazy, lazy);  // still not opened: not opened here
    require_open();
    nb::object rebuild = nb::module_::import_("segpack._maps").attr("_rebuild");
    nb::handle cls(reinterpret_cast<PyObject*>(Py_TYPE(me.ptr())));
    return nb::make_tuple(rebuild, nb::make_tuple(cls, pickled_data(protocol), self().options()));
  }

  /// copy.copy(): a new map of the same type and options over shared_data().
  nb::object shallow_copy(nb::handle me) {
    require_open();
    return open_map_type(nb::handle(reinterpret_cast<PyObject*>(Py_TYPE(me.ptr()))), shared_data(), self().options());
  }

  /// `m.buffer = data`: opens `data` as a new map of the same type and
  /// options (everything validated as by the constructor), then takes its
  /// place; on error the map is unchanged.
  void reopen(nb::handle me, nb::handle data) {
    require_open();
    nb::object fresh =
        open_map_type(nb::handle(reinterpret_cast<PyObject*>(Py_TYPE(me.ptr()))), data, self().options());
    std::swap(self(), *nb::inst_ptr<M>(fresh));  // `fresh` takes the old state away with it
  }

  /// repr(): `<segpack.MapBuffer '/data/x.mb' 2 items, zstd, v1, 90 bytes>`,
  /// `<segpack.IntMap over RangeReader, 3 items, 58 bytes>`, `<segpack.IntMap closed>`.
  std::string describe() const {
    std::string s = std::string("<segpack.") + M::kName;
    if (is_set(path)) {
      s += " " + nb::cast<std::string>(nb::repr(path));
    } else if (source) {
      s += std::string(" over ") + Py_TYPE(source->object_ptr())->tp_name;
      nb::object url = nb::steal(PyObject_GetAttrString(source->object_ptr(), "url"));
      if (url.is_valid() && PyUnicode_Check(url.ptr())) {
        s += " " + nb::cast<std::string>(nb::repr(url));
      } else {
        PyErr_Clear();
      }
      s += ",";
    }
    if (!open && is_set(lazy)) return s + " " + nb::cast<std::string>(nb::repr(lazy[1])) + ", opens on first use>";
    if (!open) return s + " closed>";
    const std::size_t n = reader.size();
    s += " " + std::to_string(n) + (n == 1 ? " item" : " items");
    s += self().describe_more();
    if (const std::optional<std::uint64_t> bytes = self().byte_size()) s += ", " + std::to_string(*bytes) + " bytes";
    return s + ">";
  }

 private:
  M& self() { return static_cast<M&>(*this); }
  const M& self() const { return static_cast<const M&>(*this); }
};

// ---- slots

/// The instance, or nullptr with ValueError(M::kClosed) set when closed.
template <class M>
M* open_map(PyObject* self) {
  M* m = nb::inst_ptr<M>(self);
  if (m->open) return m;
  if (is_set(m->lazy)) {
    try {
      m->materialize();
      return m;
    } catch (nb::python_error& e) {
      e.restore();
      return nullptr;
    }
  }
  PyErr_SetString(PyExc_ValueError, M::kClosed);
  return nullptr;
}

/// `m[key]`: KeyError / TypeError as a dict raises them.
template <class M>
PyObject* map_subscript(PyObject* self, PyObject* key) {
  M* m = open_map<M>(self);
  if (m == nullptr) return nullptr;
  std::size_t pos = 0;
  if (!find_key_or_key_error(m->reader, key, &pos, m->source.get())) return nullptr;
  return m->item(pos);
}

/// `m[key] = value` for a key that exists (KeyError otherwise); `del m[key]`
/// is a TypeError.
template <class M>
int map_ass_subscript(PyObject* self, PyObject* key, PyObject* value) {
  M* m = open_map<M>(self);
  if (m == nullptr) return -1;
  if (value == nullptr) {
    PyErr_Format(PyExc_TypeError, "%s items cannot be deleted", M::kName);
    return -1;
  }
  std::size_t pos = 0;
  if (!find_key_or_key_error(m->reader, key, &pos, m->source.get())) return -1;
  return m->assign(pos, value);
}

/// `key in m`: like a dict, a non-integer is simply not a key.
template <class M>
int map_contains(PyObject* self, PyObject* key) {
  M* m = open_map<M>(self);
  if (m == nullptr) return -1;
  std::size_t at = 0;
  const KeyLookup r = find_key(m->reader, key, &at, m->source.get());
  if (r == KeyLookup::error) return -1;
  if (r == KeyLookup::type_error) PyErr_Clear();
  return r == KeyLookup::found ? 1 : 0;
}

/// `len(m)`.
template <class M>
Py_ssize_t map_length(PyObject* self) {
  M* m = open_map<M>(self);
  return m == nullptr ? -1 : static_cast<Py_ssize_t>(m->reader.size());
}

/// Cyclic GC: a map holds Python objects (the data object, a range reader,
/// the type's own callables) that can refer back to it.
template <class M>
int map_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  M* m = nb::inst_ptr<M>(self);
  Py_VISIT(m->pyobj.ptr());
  Py_VISIT(m->lazy.ptr());
  if (m->source) Py_VISIT(m->source->object_ptr());
  return m->traverse_more(visit, arg);
}

template <class M>
int map_clear(PyObject* self) {
  if (!nb::inst_ready(self)) return 0;
  M* m = nb::inst_ptr<M>(self);
  m->close();
  m->clear_more();
  return 0;
}

/// The type slots of a map type.
template <class M>
inline PyType_Slot map_slots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(&map_traverse<M>)},
    {Py_tp_clear, reinterpret_cast<void*>(&map_clear<M>)},
    {Py_mp_subscript, reinterpret_cast<void*>(&map_subscript<M>)},
    {Py_mp_ass_subscript, reinterpret_cast<void*>(&map_ass_subscript<M>)},
    {Py_mp_length, reinterpret_cast<void*>(&map_length<M>)},
    {Py_sq_contains, reinterpret_cast<void*>(&map_contains<M>)},
    {0, nullptr},
};

// ---- methods

/// What m.keys(), m.values(), m.items() and iter(m) walk (index order).
enum class IterMode { keys, values, items };

template <class M>
struct MapIter {
  nb::object owner;
  std::size_t i = 0;
  IterMode mode = IterMode::keys;
};

/// What differs between map types in the shared methods' signatures
/// (nb::sig, as the stubs spell types) and docstrings.
struct MapDocs {
  const char* value_type = "typing.Any";  // a value's Python type, e.g. "int"
  const char* value = "a value";          // what m[key] and get() return, in a sentence's words
  const char* iter_value = "values";      // what values(), items() and todict() give
  const char* get_sig = "def get(self, label: typing.SupportsIndex, default: typing.Any = None) -> typing.Any";
  const char* data_type = "typing.Any";  // what validate_buffer accepts
  const char* errors = "";  // "\n<a sentence: what reading a value may raise beyond TypeError and ValueError>"
  const char* validate = "Checks the map. Returns True or raises a ValidationError subclass.";
};

/// Binds the iterator type `_<kName>Iterator` and the methods every map has:
/// get, find_index_position, keys, values, items, __iter__, todict, header,
/// closed, validate, validate_buffer, close, __enter__, __exit__, buffer
/// (assignable), __reduce_ex__ (pickle, copy.deepcopy), __copy__, __repr__.
/// The type binds tobytes() itself.
template <class M>
void bind_map_methods(nb::class_<M>& cls, nb::module_& m, const MapDocs& docs) {
  static const std::string iter_name = std::string("_") + M::kName + "Iterator";
  nb::class_<MapIter<M>>(m, iter_name.c_str())
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__next__", [](MapIter<M>& it) -> nb::object {
        M* map = nb::inst_ptr<M>(it.owner);
        map->require_open();
        if (it.i >= map->reader.size()) throw nb::stop_iteration();
        const std::size_t i = it.i++;
        nb::object key = nb::steal(PyLong_FromUnsignedLongLong(map->reader.key_at(i)));
        if (it.mode == IterMode::keys) return key;
        nb::object v = map->value(i);
        if (it.mode == IterMode::values) return v;
        return nb::make_tuple(key, v);
      });
  auto iter_of = [](nb::handle self, IterMode mode) {
    nb::inst_ptr<M>(self)->require_open();
    nb::inst_ptr<M>(self)->prepare_walk();
    return MapIter<M>{nb::borrow(self), 0, mode};
  };
  // Signatures (nb::sig) and docstrings that name the value type or the class.
  const std::string name = M::kName, vt = docs.value_type, errors = docs.errors;
  const std::string closed = "ValueError when the " + name + " is closed";
  const std::string keys_raises = "\n\nRaises " + closed + " (also from next() once it is closed).";
  const std::string iter_raises = keys_raises + errors;
  const std::string values_sig = "def values(self) -> collections.abc.Iterator[" + vt + "]";
  const std::string items_sig = "def items(self) -> collections.abc.Iterator[tuple[int, " + vt + "]]";
  const std::string todict_sig = "def todict(self) -> dict[int, " + vt + "]";
  const std::string validate_buffer_sig = "def validate_buffer(buf: " + std::string(docs.data_type) + ") -> bool";
  const std::string get_doc =
      "Returns the value stored under `label`, or `default` when no such key is stored (as\n"
      "dict.get does).\nThe value is " +
      std::string(docs.value) + ".\n\nRaises TypeError when `label` is not an integer, " + closed + "." + errors;
  const std::string find_doc =
      "Returns the position of `label` in the index (the order of keys(), index() and\n"
      "getindex()), or None when it is not stored.\n\n"
      "Raises TypeError when `label` is not an integer, " +
      closed + ".";
  const std::string values_doc =
      "Returns an iterator over the values, in index order: " + std::string(docs.iter_value) + "." + iter_raises;
  const std::string items_doc = "Returns an iterator over the (key, value) pairs, in index order.\nValues are " +
                                std::string(docs.iter_value) + "." + iter_raises;
  const std::string todict_doc = "Returns every item as a new dict {key: value}.\nValues are " +
                                 std::string(docs.iter_value) + ".\n\nRaises " + closed + "." + errors;
  const std::string header_doc =
      "The header bytes at the start of the data (magic, format version, ...).\n\nRaises " + closed + ".";
  const std::string validate_doc = std::string(docs.validate) + "\n\nRaises " + closed + ".";
  const std::string validate_buffer_doc = "Opens `buf` as a " + name +
                                          " and runs validate() on it.\n\n"
                                          "Returns True, or raises what the constructor and validate() raise.";
  const std::string close_doc =
      "Releases the buffer, mapping or range reader and returns None; closing twice does\n"
      "nothing. Using the " +
      name +
      " afterwards raises ValueError; views handed out\n"
      "earlier (index(), memoryviews, zero-copy segments) keep what they need alive.";
  const std::string enter_doc = "Returns the " + name + " itself: `with " + name + "(...) as m:` closes it on exit.";
  const std::string exit_doc = "Closes the " + name + " (see close()); returns False, so exceptions propagate.";

  cls.def(
         "get",
         [](M& self, nb::handle key, nb::handle dflt) -> nb::object {
           self.require_open();
           std::size_t pos = 0;
           const KeyLookup r = find_key(self.reader, key.ptr(), &pos, self.source.get());
           if (r == KeyLookup::type_error || r == KeyLookup::error) throw nb::python_error();
           if (r == KeyLookup::absent) return nb::borrow(dflt);
           return self.lookup(pos);
         },
         nb::arg("label"), nb::arg("default") = nb::none(), nb::sig(docs.get_sig), get_doc.c_str())
      .def(
          "find_index_position",
          [](M& self, nb::handle key) -> nb::object {
            self.require_open();
            std::size_t pos = 0;
            const KeyLookup r = find_key(self.reader, key.ptr(), &pos, self.source.get());
            if (r == KeyLookup::type_error || r == KeyLookup::error) throw nb::python_error();
            return r == KeyLookup::found ? nb::object(nb::int_(pos)) : nb::object(nb::none());
          },
          nb::sig("def find_index_position(self, label: typing.SupportsIndex, /) -> int | None"), find_doc.c_str())
      .def(
          "keys", [iter_of](nb::handle self) { return iter_of(self, IterMode::keys); },
          nb::sig("def keys(self) -> collections.abc.Iterator[int]"),
          ("Returns an iterator over the keys (ints), in index order." + keys_raises).c_str())
      .def(
          "values", [iter_of](nb::handle self) { return iter_of(self, IterMode::values); }, nb::sig(values_sig.c_str()),
          values_doc.c_str())
      .def(
          "items", [iter_of](nb::handle self) { return iter_of(self, IterMode::items); }, nb::sig(items_sig.c_str()),
          items_doc.c_str())
      .def(
          "__iter__", [iter_of](nb::handle self) { return iter_of(self, IterMode::keys); },
          nb::sig("def __iter__(self) -> collections.abc.Iterator[int]"),
          ("iter(m): an iterator over the keys, as keys() returns." + keys_raises).c_str())
      .def(
          "todict",
          [](M& self) {
            self.require_open();
            self.prepare_walk();
            nb::dict d;
            for (std::size_t i = 0; i < self.reader.size(); ++i) {
              d[nb::steal(PyLong_FromUnsignedLongLong(self.reader.key_at(i)))] = self.value(i);
            }
            return d;
          },
          nb::sig(todict_sig.c_str()), todict_doc.c_str())
      .def_prop_ro(
          "header",
          [](M& self) {
            self.require_open();
            auto h = self.reader.header_bytes();
            return nb::bytes(reinterpret_cast<const char*>(h.data()), h.size());
          },
          header_doc.c_str())
      .def_prop_ro(
          "closed", [](M& self) { return !self.open; },
          "True once close() has run (or a with block has ended), False before.")
      .def(
          "validate", [](M& self) { return self.validate(); }, validate_doc.c_str())
      .def_static(
          "validate_buffer",
          [](nb::handle buf) { return nb::module_::import_("segpack").attr(M::kName)(buf).attr("validate")(); },
          nb::arg("buf"), nb::sig(validate_buffer_sig.c_str()), validate_buffer_doc.c_str())
      .def(
          "close", [](M& self) { self.close(); }, close_doc.c_str())
      .def(
          "__enter__", [](nb::handle self) { return nb::borrow(self); },
          nb::sig("def __enter__(self) -> typing_extensions.Self"), enter_doc.c_str())
      .def(
          "__exit__",
          [](M& self, nb::args) {
            self.close();
            return false;
          },
          nb::sig("def __exit__(self, *args: object) -> typing.Literal[False]"), exit_doc.c_str())
      .def_prop_rw(
          "buffer", [](nb::handle self) { return self.attr("tobytes")(); },
          [](nb::handle self, nb::handle data) { nb::inst_ptr<M>(self)->reopen(self, data); },
          nb::for_getter(nb::sig("def buffer(self) -> " SEGPACK_PY_BUFFER)),
          nb::for_setter(nb::sig("def buffer(self, data: " SEGPACK_PY_MAP_SOURCE ", /) -> None")),
          "The serialized bytes, as tobytes() returns them. Assigning reopens the map over the new data (any "
          "data the constructor takes) with the same options, validated as by the constructor; on error the "
          "map is left as it was (TypeError / ValidationError as the constructor raises them).")
      .def(
          "__reduce_ex__", [](nb::handle self, int protocol) { return nb::inst_ptr<M>(self)->reduce(self, protocol); },
          nb::arg("protocol"),
          nb::sig("def __reduce_ex__(self, protocol: typing.SupportsIndex, /) -> tuple[typing.Any, ...]"),
          "Returns the pickle reduction; unpickling reopens the map through the constructor (validated), with the same "
          "options. In-memory maps pickle as their bytes (protocol 5: one pickle.PickleBuffer, out of band "
          "with a buffer_callback, no copy), maps opened from a path or an open file as the file's absolute "
          "path (reopened on load, so the file must still be there), maps over a range reader as the "
          "reader object. copy.deepcopy goes through here too: it shares bytes objects and files, and "
          "copies writable memory.")
      .def(
          "__copy__", [](nb::handle self) { return nb::inst_ptr<M>(self)->shallow_copy(self); },
          nb::sig("def __copy__(self) -> typing_extensions.Self"),
          "Returns a new map over the same memory, file or range reader, with the same options.")
      .def(
          "__repr__", [](const M& self) { return self.describe(); },
          "repr(m): the map's source (path, size or reader type), item count, codec and state.")
      .def_static(
          "_open_lazily",
          [](nb::handle type, nb::handle data, nb::dict options) {
            nb::object o = nb::inst_alloc(type);
            M* map = new (nb::inst_ptr<M>(o)) M();
            map->lazy = nb::make_tuple(type, data, options);
            nb::inst_mark_ready(o);
            return o;
          },
          nb::arg("type"), nb::arg("data"), nb::arg("options"),
          nb::sig(
              "def _open_lazily(type: type[typing_extensions.Self], data: typing.Any, options: dict[str, typing.Any]) "
              "-> typing_extensions.Self"),
          "Returns a map of `type` that runs type(data, **options) on its first use (unpickling a map\n"
          "opened from a URL: nothing is read until the map is used). Private: segpack._maps.");
}

}  // namespace segpack::py
