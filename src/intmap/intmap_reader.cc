// segpack — IntMapReader: opening (header and exact size checked) and lookups.
#include <cstring>

#include "segpack/internal/bytes.h"
#include "segpack/internal/eytzinger.h"
#include "segpack/intmap.h"
#include "segpack/source.h"

namespace segpack {

using internal::load_le;

namespace {

Status check_header(ByteSpan b, std::uint32_t* count) {
  if (b.size() < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(b.size()) + " bytes is shorter than its 10-byte header",
                        ErrorCategory::format);
  }
  if (std::memcmp(b.data(), kIntMapMagic.data(), kIntMapMagic.size()) != 0) {
    return corrupt("not an IntMap: magic is not b'intm'", ErrorCategory::format);
  }
  if (b[4] != 0)
    return unsupported("IntMap format version " + std::to_string(b[4]) + " is not supported (0)",
                       ErrorCategory::format);
  if (b[5] != kIntMapWidthU64) {
    return unsupported("IntMap value width code " + std::to_string(b[5]) + " is not supported (3 = u64)",
                       ErrorCategory::format);
  }
  *count = load_le<std::uint32_t>(b.data() + 6);
  return Status::OK();
}

}  // namespace

Result<IntMapReader> IntMapReader::open(Buffer buf) {
  std::uint32_t n = 0;
  SEGPACK_RETURN_IF_ERROR(check_header(buf.span(), &n));
  const std::uint64_t want = kIntMapHeaderSize + 16 * std::uint64_t{n};
  if (buf.size() < want) {
    return out_of_range("IntMap of " + std::to_string(n) + " pairs needs " + std::to_string(want) +
                            " bytes but the buffer has " + std::to_string(buf.size()) + " (truncated?)",
                        ErrorCategory::format);
  }
  if (buf.size() > want) {
    return corrupt(
        "IntMap of " + std::to_string(n) + " pairs has " + std::to_string(buf.size() - want) + " trailing bytes",
        ErrorCategory::format);
  }
  IntMapReader r;
  r.buf_ = std::move(buf);
  r.n_ = n;
  return r;
}

Result<IntMapReader> IntMapReader::open_file(const std::string& path) {
  SEGPACK_ASSIGN_OR_RETURN(Buffer b, map_file(path));
  auto r = open(std::move(b));
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

Result<IntMapReader> IntMapReader::open_source(std::shared_ptr<RangeSource> source, std::uint64_t max_bytes) {
  if (!source) return invalid_argument("null range source");
  std::optional<std::uint64_t> total = source->size();
  if (total && *total < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(*total) + " bytes is shorter than its 10-byte header",
                        ErrorCategory::format);
  }
  SEGPACK_ASSIGN_OR_RETURN(Buffer head, source->read(0, kIntMapHeaderSize));
  std::uint32_t n = 0;
  SEGPACK_RETURN_IF_ERROR(check_header(head.span(), &n));
  const std::uint64_t want = kIntMapHeaderSize + 16 * std::uint64_t{n};
  if (total && *total < want) {
    return out_of_range("IntMap of " + std::to_string(n) + " pairs needs " + std::to_string(want) +
                            " bytes but the source has " + std::to_string(*total) + " (truncated?)",
                        ErrorCategory::format);
  }
  if (total && *total > want) {
    return corrupt("IntMap of " + std::to_string(n) + " pairs has " + std::to_string(*total - want) + " trailing bytes",
                   ErrorCategory::format);
  }
  if (!total && want > max_bytes) {
    return resource_exhausted("IntMap of " + std::to_string(n) + " pairs exceeds max_bytes " +
                              std::to_string(max_bytes));
  }
  // One read for everything: the pairs are the whole file.
  SEGPACK_ASSIGN_OR_RETURN(Buffer all, total ? source->read(0, want) : source->read_to_end(0));
  return open(std::move(all));
}

std::uint64_t IntMapReader::key_at(std::size_t i) const noexcept {
  return load_le<std::uint64_t>(buf_.data() + kIntMapHeaderSize + 16 * i);
}
std::uint64_t IntMapReader::value_at(std::size_t i) const noexcept {
  return load_le<std::uint64_t>(buf_.data() + kIntMapHeaderSize + 16 * i + 8);
}

std::optional<std::size_t> IntMapReader::find(std::uint64_t key) const noexcept {
  const std::uint8_t* base = buf_.data() + kIntMapHeaderSize;
  std::size_t p = internal::eytzinger_find_strided(base, n_, 16, key);
  return p < n_ ? std::optional<std::size_t>(p) : std::nullopt;
}

Result<std::uint64_t> IntMapReader::get(std::uint64_t key) const {
  auto p = find(key);
  if (!p) return not_found("key " + std::to_string(key) + " not found");
  return value_at(*p);
}

Status IntMapReader::validate() const {
  std::size_t bad = 0;
  const std::uint8_t* base = buf_.data() + kIntMapHeaderSize;
  auto key_at_position = [base](std::size_t i) { return load_le<std::uint64_t>(base + 16 * i); };
  if (!internal::eytzinger_is_ordered(n_, key_at_position, &bad)) {
    return corrupt("keys are not in Eytzinger order (or repeat): position " + std::to_string(bad) + " (key " +
                       std::to_string(key_at(bad)) + ")",
                   ErrorCategory::format);
  }
  return Status::OK();
}

}  // namespace segpack
