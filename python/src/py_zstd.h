// The codec objects (Compressor / Decompressor bases), zstd dictionaries and
// training, the one-shot codec call path shared with segpack.compress /
// segpack.decompress, and the zstd twins of segpack's exceptions.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <optional>

#include "py_errors.h"
#include "segpack/codec.h"
#include "segpack/zstd.h"

namespace segpack::py {

/// Sets the Python error for `st` as set_error does (the one status table); for Codec::zstd the type
/// is replaced by its zstd twin (segpack.errors._ZSTD_TWINS: an instance of
/// ZstdError and of the same segpack class), the message unchanged. Throws.
[[noreturn]] void throw_codec_status(const Status& st, Codec codec);

template <class T>
T unwrap_codec(Result<T> r, Codec codec) {
  if (!r.ok()) throw_codec_status(r.status(), codec);
  return std::move(r).value();
}
inline void check_codec(const Status& st, Codec codec) {
  if (!st.ok()) throw_codec_status(st, codec);
}

/// codec_from_arg with a fast path for the canonical names ("zstd", "gzip",
/// "br", "lzma", "none") given as str.
Codec codec_arg(nb::handle arg);

/// One item compressed into a new bytes object (this thread's cached context,
/// written in place, no per-call context or copy).
nb::bytes compress_to_bytes(nb::handle data, Codec codec, std::optional<int> level, const ZstdCompressParams& zstd);
/// One whole item decompressed into a new bytes object; `max_output` caps it
/// (nullopt: DecompressOptions' default). A declared size that fits is
/// decoded straight into the bytes object.
nb::bytes decompress_to_bytes(nb::handle data, Codec codec, std::optional<std::uint64_t> max_output,
                              const ZstdDecompressParams& zstd);

void bind_zstd(nb::module_& m);

}  // namespace segpack::py
