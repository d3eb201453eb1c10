// segpack._core: the nanobind module. Feature bindings live in py_*.cc (see
// bindings.h); the shared helpers in py_errors, py_buffers, py_keys,
// py_sources, py_codecs and py_map (the machinery of the map types).
#include "bindings.h"

#include <nanobind/nanobind.h>

#include "py_errors.h"
#include "py_zstd.h"

NB_MODULE(_core, m) {
  using namespace segpack::py;
  m.doc() = "segpack's C++ core (private: import segpack instead).";
  init_errors();
  bind_bytes_view(m);
  bind_mapbuffer(m);
  bind_intmap(m);
  bind_segments(m);
  bind_batch(m);
  bind_crc32c(m);
  bind_codecs(m);
  bind_zstd(m);
  bind_chunking(m);
  bind_container(m);
  bind_pickle(m);
  bind_objects(m);
  bind_remote(m);
}
