#include "py_index_cache.h"

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "py_sources.h"

namespace segpack::py {

namespace {

// The size of the cache file, or nullopt when it cannot be read.
std::optional<std::uint64_t> file_size(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t n = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return static_cast<std::uint64_t>(n);
}

// Reads the file when it has exactly `want` bytes (the size is checked first:
// nothing is allocated from a size found in the file).
std::optional<Buffer> read_exact(const std::string& path, std::uint64_t want) {
  if (file_size(path) != want) return std::nullopt;
  Result<Buffer> b = read_file(path);
  if (!b.ok() || b->size() != want) return std::nullopt;
  return std::move(b).value();
}

}  // namespace

std::optional<Buffer> IndexCache::load_matching(ByteSpan header) const {
  const Result<MapBufferHeader> h = parse_mapbuffer_header(header);
  if (!h.ok()) return std::nullopt;
  std::optional<Buffer> b = read_exact(path_, kMapBufferHeaderSize + 16 * std::uint64_t{h->count});
  if (!b || std::memcmp(b->data(), header.data(), kMapBufferHeaderSize) != 0) return std::nullopt;
  return b;
}

Result<MapBufferReader> IndexCache::open_source(std::shared_ptr<RangeSource> source,
                                                const MapBufferReadOptions& opts) const {
  if (!source) return invalid_argument("null range source");
  const std::optional<std::uint64_t> total = source->size();
  if (total && *total < kMapBufferHeaderSize) return MapBufferReader::open_source(std::move(source), opts);
  SEGPACK_ASSIGN_OR_RETURN(Buffer header, source->read(0, kMapBufferHeaderSize));
  if (std::optional<Buffer> cached = load_matching(header.span())) {
    auto r = MapBufferReader::open_source(std::make_shared<PrefixSource>(std::move(*cached), source), opts);
    if (r.ok()) return r;
  }
  // The header just read is not fetched again.
  SEGPACK_ASSIGN_OR_RETURN(
      MapBufferReader r, MapBufferReader::open_source(std::make_shared<PrefixSource>(std::move(header), source), opts));
  SEGPACK_RETURN_IF_ERROR(store(r));
  return r;
}

Status IndexCache::store(const MapBufferReader& reader) const {
  const ByteSpan header = reader.header_bytes();
  const ByteSpan index = reader.index_bytes().span();
  if (std::optional<Buffer> b = read_exact(path_, header.size() + index.size())) {
    if (std::memcmp(b->data(), header.data(), header.size()) == 0 &&
        (index.empty() || std::memcmp(b->data() + header.size(), index.data(), index.size()) == 0)) {
      return Status();
    }
  }
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  bytes.insert(bytes.end(), index.begin(), index.end());
  const Status st = write_file_atomic(path_, bytes);
  return st.ok() ? st : st.with_context("index_cache");
}

}  // namespace segpack::py
