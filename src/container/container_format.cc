// segpack — container: the header and buffer table, encoded and checked.
#include <cstring>
#include <string>

#include "container_internal.h"
#include "segpack/container.h"
#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"

namespace segpack {

using internal::load_le;
using internal::store_le;

namespace {

constexpr auto kFormat = ErrorCategory::format;

std::string num(std::uint64_t v) { return std::to_string(v); }

std::string hex32(std::uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x00000000";
  for (int i = 0; i < 8; ++i) s[9 - i] = digits[(v >> (4 * i)) & 0xF];
  return s;
}

// Built step by step: gcc 12 warns (-Wrestrict) on "literal" + std::string.
std::string region(std::uint64_t off, std::uint64_t len) {
  std::string s = "[";
  s += num(off);
  s += ", +";
  s += num(len);
  s += ")";
  return s;
}

}  // namespace

namespace internal {

void encode_container_header(const ContainerHeader& h, std::uint8_t* out) noexcept {
  std::memcpy(out, kContainerMagic.data(), kContainerMagic.size());
  store_le<std::uint16_t>(out + 8, h.version);
  store_le<std::uint16_t>(out + 10, h.flags);
  store_le<std::uint32_t>(out + 12, h.buffer_count);
  store_le<std::uint64_t>(out + 16, h.file_length);
  store_le<std::uint64_t>(out + 24, h.payload_offset);
  store_le<std::uint64_t>(out + 32, h.payload_length);
  store_le<std::uint64_t>(out + 40, h.table_offset);
  store_le<std::uint64_t>(out + 48, h.table_length);
  store_le<std::uint32_t>(out + 56, h.payload_crc32c);
  store_le<std::uint32_t>(out + 60, crc32c(out, 60));
}

void encode_container_entry(const ContainerBufferInfo& e, std::uint8_t* out) noexcept {
  store_le<std::uint64_t>(out + 0, e.offset);
  store_le<std::uint64_t>(out + 8, e.stored_length);
  store_le<std::uint64_t>(out + 16, e.raw_length);
  store_le<std::uint32_t>(out + 24, e.crc32c);
  store_le<std::uint32_t>(out + 28, e.metadata_length);
  out[32] = static_cast<std::uint8_t>(e.codec);
  out[33] = log2_of_pow2(e.alignment);
  store_le<std::uint16_t>(out + 34, 0);
  store_le<std::uint32_t>(out + 36, 0);
}

}  // namespace internal

Result<ContainerHeader> parse_container_header(ByteSpan bytes, std::uint64_t actual) {
  const std::uint8_t* p = bytes.data();
  if (bytes.size() >= kContainerMagic.size() && std::memcmp(p, kContainerMagic.data(), kContainerMagic.size()) != 0) {
    return corrupt("not a segpack container: bad magic", kFormat);
  }
  if (bytes.size() >= 10) {
    const auto v = load_le<std::uint16_t>(p + 8);
    if (v != kContainerVersion) {
      return unsupported("container format version " + num(v) + " is not supported (this reader reads version " +
                             num(kContainerVersion) + ")",
                         kFormat);
    }
  }
  if (bytes.size() < kContainerHeaderSize) {
    return out_of_range(
        "truncated container: " + num(bytes.size()) + " bytes, the header alone needs " + num(kContainerHeaderSize),
        kFormat);
  }
  const auto stored_crc = load_le<std::uint32_t>(p + 60);
  const auto crc = crc32c(p, 60);
  if (crc != stored_crc) {
    return data_loss("container header crc32c mismatch (stored " + hex32(stored_crc) + ", computed " + hex32(crc) + ")",
                     kFormat);
  }
  ContainerHeader h;
  h.version = load_le<std::uint16_t>(p + 8);
  h.flags = load_le<std::uint16_t>(p + 10);
  h.buffer_count = load_le<std::uint32_t>(p + 12);
  h.file_length = load_le<std::uint64_t>(p + 16);
  h.payload_offset = load_le<std::uint64_t>(p + 24);
  h.payload_length = load_le<std::uint64_t>(p + 32);
  h.table_offset = load_le<std::uint64_t>(p + 40);
  h.table_length = load_le<std::uint64_t>(p + 48);
  h.payload_crc32c = load_le<std::uint32_t>(p + 56);
  if ((h.flags & kContainerRequiredFlagsMask) != 0) {
    return unsupported("container flags " + hex32(h.flags) + " name features this reader does not know", kFormat);
  }
  if (h.file_length > actual) {
    return out_of_range(
        "truncated container: the header says " + num(h.file_length) + " bytes, there are " + num(actual), kFormat);
  }
  if (h.file_length < actual) {
    return corrupt(
        "container of " + num(h.file_length) + " bytes followed by " + num(actual - h.file_length) + " trailing bytes",
        kFormat);
  }
  if (!range_ok(h.payload_offset, h.payload_length, h.file_length)) {
    return out_of_range("payload " + region(h.payload_offset, h.payload_length) + " is outside the file of " +
                            num(h.file_length) + " bytes",
                        kFormat);
  }
  if (h.payload_offset < kContainerHeaderSize) {
    return corrupt("payload at offset " + num(h.payload_offset) + " overlaps the header", kFormat);
  }
  if (!range_ok(h.table_offset, h.table_length, h.file_length)) {
    return out_of_range("buffer table " + region(h.table_offset, h.table_length) + " is outside the file of " +
                            num(h.file_length) + " bytes",
                        kFormat);
  }
  if (h.table_offset < h.payload_offset + h.payload_length) {  // no overflow: range_ok above
    return corrupt("buffer table at offset " + num(h.table_offset) + " overlaps the payload " +
                       region(h.payload_offset, h.payload_length),
                   kFormat);
  }
  return h;
}

Result<std::vector<ContainerBufferInfo>> parse_container_table(const ContainerHeader& h, ByteSpan table) {
  if (table.size() != h.table_length) {
    return invalid_argument("table span of " + num(table.size()) + " bytes, the header says " + num(h.table_length));
  }
  if (table.size() < 4) {
    return out_of_range("buffer table of " + num(table.size()) + " bytes cannot hold its crc32c", kFormat);
  }
  const std::uint64_t body = table.size() - 4;
  const auto stored_crc = load_le<std::uint32_t>(table.data() + body);
  const auto crc = crc32c(table.data(), body);
  if (crc != stored_crc) {
    return data_loss("buffer table crc32c mismatch (stored " + hex32(stored_crc) + ", computed " + hex32(crc) + ")",
                     kFormat);
  }
  const std::uint64_t n = h.buffer_count;
  const std::uint64_t entries_bytes = n * kContainerEntrySize;  // < 2^38: no overflow
  if (entries_bytes > body) {
    return out_of_range("buffer table of " + num(table.size()) + " bytes cannot hold " + num(n) + " entries", kFormat);
  }
  const std::uint64_t meta_region = body - entries_bytes;
  std::vector<ContainerBufferInfo> infos(static_cast<std::size_t>(n));  // bounded by table_length / 40
  const std::uint64_t lo = h.payload_offset + h.payload_length;
  const std::uint64_t hi = h.table_offset;
  std::uint64_t prev_end = lo;
  std::uint64_t meta_at = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint8_t* e = table.data() + i * kContainerEntrySize;
    ContainerBufferInfo& b = infos[static_cast<std::size_t>(i)];
    auto who = [&] { return "buffer " + num(i); };
    b.offset = load_le<std::uint64_t>(e + 0);
    b.stored_length = load_le<std::uint64_t>(e + 8);
    b.raw_length = load_le<std::uint64_t>(e + 16);
    b.crc32c = load_le<std::uint32_t>(e + 24);
    b.metadata_length = load_le<std::uint32_t>(e + 28);
    const std::uint8_t codec = e[32];
    const std::uint8_t align_log2 = e[33];
    const auto flags = load_le<std::uint16_t>(e + 34);
    const auto reserved = load_le<std::uint32_t>(e + 36);
    if (codec >= kAllCodecs.size()) {
      return unsupported(who() + ": unknown codec " + num(codec), kFormat);
    }
    b.codec = static_cast<Codec>(codec);
    if (flags != 0) return unsupported(who() + ": entry flags " + hex32(flags) + " are not supported", kFormat);
    if (reserved != 0) return corrupt(who() + ": reserved entry bytes are not zero", kFormat);
    if (align_log2 > 30) return corrupt(who() + ": alignment 2^" + num(align_log2) + " is over 2^30", kFormat);
    b.alignment = std::uint64_t{1} << align_log2;
    if (!range_ok(b.offset, b.stored_length, hi)) {
      return out_of_range(who() + " " + region(b.offset, b.stored_length) +
                              " is outside the data region ending at the table (offset " + num(hi) + ")",
                          kFormat);
    }
    if (b.offset < prev_end) {
      return corrupt(who() + " " + region(b.offset, b.stored_length) + " overlaps " +
                         (i == 0 ? std::string("the payload") : "buffer " + num(i - 1)) + " (which ends at " +
                         num(prev_end) + ")",
                     kFormat);
    }
    if (b.offset % b.alignment != 0) {
      return corrupt(who() + " at offset " + num(b.offset) + " is not aligned to " + num(b.alignment), kFormat);
    }
    if (b.codec == Codec::none && b.stored_length != b.raw_length) {
      return corrupt(who() + ": uncompressed, but stores " + num(b.stored_length) + " bytes for " + num(b.raw_length),
                     kFormat);
    }
    if (b.codec != Codec::none && b.stored_length == 0) {
      return corrupt(who() + ": compressed with " + std::string(codec_name(b.codec)) + " but stores no bytes", kFormat);
    }
    if (!range_ok(meta_at, b.metadata_length, meta_region)) {
      return out_of_range(who() + ": metadata of " + num(b.metadata_length) + " bytes runs past the table's " +
                              num(meta_region) + "-byte metadata region",
                          kFormat);
    }
    b.metadata_offset = meta_at;
    meta_at += b.metadata_length;
    prev_end = b.offset + b.stored_length;
  }
  if (meta_at != meta_region) {
    return corrupt(
        "buffer table metadata lengths add up to " + num(meta_at) + " bytes, the region holds " + num(meta_region),
        kFormat);
  }
  return infos;
}

}  // namespace segpack
