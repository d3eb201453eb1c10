// MapBuffer's `index_cache=` file (mapbuffer 1.2): a local copy of a map's
// header and index, so that a map behind a range reader (HTTP, S3, ...) need
// not fetch its index again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "segpack/buffer.h"
#include "segpack/mapbuffer.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace segpack::py {

/// The cache file holds the map's 16-byte header followed by its index (16N
/// bytes) and nothing else: the file mapbuffer 1.2 reads and writes, so both
/// packages can share one. It is replaced atomically (a temporary file renamed
/// over it), never written in place, so readers see an old or a new file whole
/// and no lock is needed.
class IndexCache {
 public:
  explicit IndexCache(std::string path) : path_(std::move(path)) {}

  /// Opens a map over `source`. Reads the data's header (16 bytes, one read);
  /// when the cache file holds exactly that header and an index of the size it
  /// announces, the index is taken from the file, otherwise it is fetched from
  /// the source and the file is (re)written. Either way the reader's usual
  /// open checks apply (first offset, last offset within the source's size
  /// when known); a cached index that fails them is dropped, fetched again and
  /// rewritten. Errors: those of MapBufferReader::open_source, io_error when
  /// the cache cannot be written.
  Result<MapBufferReader> open_source(std::shared_ptr<RangeSource> source, const MapBufferReadOptions& opts) const;

  /// Writes `reader`'s header and index to the cache unless the file already
  /// holds exactly those bytes. Errors: io_error.
  Status store(const MapBufferReader& reader) const;

 private:
  /// The cache file's bytes when they are `header` followed by an index of
  /// the size `header` announces; nullopt otherwise (absent, short, stale).
  std::optional<Buffer> load_matching(ByteSpan header) const;
  std::string path_;
};

}  // namespace segpack::py
