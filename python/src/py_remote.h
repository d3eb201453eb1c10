// Remote data for the map types: a URL (`proto://...`) or an fsspec file
// object given to MapBuffer / IntMap becomes a segpack.remote.RemoteFile, a
// range reader with a batch form (see py_sources.h, PySliceSource).
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <optional>

namespace nb = nanobind;

namespace segpack::py {

/// The constructors' remote keyword arguments.
struct RemoteArgs {
  nb::object storage_options = nb::none();
  double timeout = 30.0;
  int retries = 3;
  std::optional<std::uint64_t> first_read;
  std::optional<std::uint64_t> coalesce_gap;
};

/// True for a str with a `proto://` scheme or an fsspec file object.
bool is_remote_data(nb::handle data);

/// segpack.remote.RemoteFile(data, ...) for remote data; `data` itself
/// otherwise (TypeError when remote-only options are given with it).
nb::object remote_data(nb::handle data, const RemoteArgs& args);

}  // namespace segpack::py
