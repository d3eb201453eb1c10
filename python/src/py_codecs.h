// Codec arguments of the Python API: names, tags and mapbuffer's spellings.
#pragma once

#include <nanobind/nanobind.h>

#include "segpack/codec.h"

namespace nb = nanobind;

namespace segpack::py {

/// Parses mapbuffer-style `compress=` values: None/False/""/0 -> none,
/// True/1 -> gzip, names (case-insensitive), or 4-byte tags. Raises
/// UnsupportedCompressionType.
Codec codec_from_arg(nb::handle arg);
/// mapbuffer's `compress` property value: None for none, else "gzip", "br", ...
nb::object codec_to_py(Codec c);

}  // namespace segpack::py
