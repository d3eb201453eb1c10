// The parts of segpack._core, one bind_* function per feature file; the
// module entry (bindings.cc) calls them in this order.
#pragma once

#include <nanobind/nanobind.h>

namespace nb = nanobind;

namespace segpack::py {

void bind_bytes_view(nb::module_& m);  // py_buffers.cc: _BytesView
void bind_mapbuffer(nb::module_& m);   // py_mapbuffer.cc: MapBuffer, MapBufferWriter
void bind_intmap(nb::module_& m);      // py_intmap.cc: IntMap, write_intmap
void bind_segments(nb::module_& m);    // py_segments.cc: BufferSegment(s), BufferWithSegments(Collection)
void bind_batch(nb::module_& m);       // py_batch.cc: multi_(de)compress_to_buffer, thread counts
void bind_crc32c(nb::module_& m);      // py_crc32c.cc: crc32c, its backends
void bind_codecs(nb::module_& m);      // py_codecs.cc: compress, decompress, codec levels
void bind_container(nb::module_& m);   // py_container.cc: ContainerWriter, ContainerReader (segpack.objfile)
void bind_pickle(nb::module_& m);      // py_pickle_scan.cc: check_pickle_lengths (segpack.objects)
void bind_objects(nb::module_& m);     // py_objects.cc: ArrayReducer, make_rebuild_array (segpack.objects)
void bind_remote(nb::module_& m);      // py_remote.cc: the HTTP range response parsers (segpack.remote)
void bind_chunking(
    nb::module_& m);  // py_chunking.cc: chunk_strided, tobytes_strided, assemble_strided (segpack.chunking)

}  // namespace segpack::py
