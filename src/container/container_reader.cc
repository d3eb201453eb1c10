// segpack — container reading: open (mapped, copy-on-write or read), views,
// parallel decoding and crc checks.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "container_internal.h"
#include "segpack/container.h"
#include "segpack/crc32c.h"
#include "segpack/internal/batch.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/parallel.h"

namespace segpack {

namespace internal {

Status crc_mismatch(std::size_t i, std::uint32_t want, std::uint32_t got) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "buffer %zu: crc32c mismatch (table 0x%08x, data 0x%08x)", i, want, got);
  return data_loss(buf, ErrorCategory::format);
}

}  // namespace internal

using internal::crc_mismatch;

namespace {

constexpr auto kFormat = ErrorCategory::format;
constexpr std::size_t kPage = 4096;

std::string os_error(std::string_view what, const std::string& path, int err) {
  return std::string(what) + " '" + path + "': " + std::strerror(err);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct PrivateMapping {
  void* addr = nullptr;
  std::size_t size = 0;
  ~PrivateMapping() {
    if (addr != nullptr) ::munmap(addr, size);
  }
};

Result<std::uint64_t> regular_file_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return io_error(os_error("cannot stat", path, errno));
  if (!S_ISREG(st.st_mode)) return io_error("'" + path + "' is not a regular file");
  return static_cast<std::uint64_t>(st.st_size);
}

// The whole file mapped private and writable: writes stay in this process.
Result<Buffer> map_copy_on_write(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return io_error(os_error("cannot open", path, errno));
  SEGPACK_ASSIGN_OR_RETURN(std::uint64_t size, regular_file_size(f.fd, path));
  if (size == 0) return Buffer(nullptr, 0, nullptr, /*writable=*/true);
  auto m = std::make_shared<PrivateMapping>();
  void* addr = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, f.fd, 0);
  if (addr == MAP_FAILED) return io_error(os_error("cannot mmap", path, errno));
  m->addr = addr;
  m->size = static_cast<std::size_t>(size);
  return Buffer(static_cast<const std::uint8_t*>(addr), m->size, std::shared_ptr<const void>(m), /*writable=*/true);
}

// Reads [off, off + len) of the file into `out + off` in pieces, extending
// `*crc` with each piece right after it is read (while it is in cache).
Status read_range(int fd, std::uint8_t* out, std::uint64_t off, std::uint64_t len, std::uint32_t* crc,
                  const std::string& path) {
  constexpr std::uint64_t kPiece = 256 * 1024;
  while (len > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min(len, kPiece));
    ssize_t r = ::pread(fd, out + off, want, static_cast<off_t>(off));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error(os_error("cannot read", path, errno));
    }
    if (r == 0) return out_of_range("truncated container: '" + path + "' shrank while it was read", kFormat);
    if (crc != nullptr) *crc = crc32c_extend(*crc, out + off, static_cast<std::size_t>(r));
    off += static_cast<std::uint64_t>(r);
    len -= static_cast<std::uint64_t>(r);
  }
  return Status::OK();
}

// The whole file read into page-aligned memory (so uncompressed buffers keep
// their alignment), one allocation of the file's own size: the header and
// table first (checked), then the rest in file order, each uncompressed
// buffer's crc checked in the same pass.
Result<Buffer> read_checked(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return io_error(os_error("cannot open", path, errno));
  SEGPACK_ASSIGN_OR_RETURN(std::uint64_t size, regular_file_size(f.fd, path));
  const std::size_t alloc = (static_cast<std::size_t>(size) + kPage - 1) / kPage * kPage;
  void* p = std::aligned_alloc(kPage, alloc == 0 ? kPage : alloc);
  if (p == nullptr) return resource_exhausted("cannot allocate " + std::to_string(size) + " bytes to read " + path);
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  auto* out = static_cast<std::uint8_t*>(p);
  const std::uint64_t head = std::min<std::uint64_t>(size, kContainerHeaderSize);
  SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, 0, head, nullptr, path));
  auto hr = parse_container_header(ByteSpan(out, head), size);
  if (!hr.ok()) return hr.status().with_context(path);
  const ContainerHeader h = *hr;
  SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, h.table_offset, h.table_length, nullptr, path));
  const ByteSpan table(out + h.table_offset, static_cast<std::size_t>(h.table_length));
  auto tr = parse_container_table(h, table);
  if (!tr.ok()) return tr.status().with_context(path);
  const std::vector<ContainerBufferInfo>& infos = *tr;
  std::uint64_t pos = kContainerHeaderSize;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const ContainerBufferInfo& b = infos[i];
    SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, pos, b.offset - pos, nullptr, path));
    std::uint32_t crc = 0;
    const bool raw = b.codec == Codec::none;
    SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, b.offset, b.stored_length, raw ? &crc : nullptr, path));
    if (raw && crc != b.crc32c) return crc_mismatch(i, b.crc32c, crc).with_context(path);
    pos = b.offset + b.stored_length;
  }
  SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, pos, h.table_offset - pos, nullptr, path));
  if (h.table_offset + h.table_length < size) {  // regions after the table (none as written)
    const std::uint64_t end = h.table_offset + h.table_length;
    SEGPACK_RETURN_IF_ERROR(read_range(f.fd, out, end, size - end, nullptr, path));
  }
  return Buffer(out, static_cast<std::size_t>(size), std::move(owner), /*writable=*/true);
}

// The size decompress_batch may allocate up front for buffer b: its raw
// length when the stored bytes could plausibly expand to it, else 0
// ("unknown": the output then grows with the data decoded). Either way the
// decoded size is compared with the raw length afterwards.
std::uint64_t declared_size(const ContainerBufferInfo& b) {
  return b.raw_length <= internal::plausible_output(static_cast<std::size_t>(b.stored_length)) ? b.raw_length : 0;
}

}  // namespace

Result<ContainerReader> ContainerReader::assemble(const ContainerHeader& h, Buffer payload, Buffer table,
                                                  const ContainerReadOptions& opts) {
  SEGPACK_ASSIGN_OR_RETURN(auto infos, parse_container_table(h, table.span()));
  if (opts.check_payload_crc && crc32c(payload.span()) != h.payload_crc32c) {
    return data_loss("payload crc32c mismatch", kFormat);
  }
  ContainerReader r;
  r.header_ = h;
  r.opts_ = opts;
  r.payload_ = std::move(payload);
  r.table_ = std::move(table);
  r.infos_ = std::move(infos);
  return r;
}

Result<ContainerReader> ContainerReader::open(Buffer file, ContainerReadOptions opts) {
  SEGPACK_ASSIGN_OR_RETURN(ContainerHeader h, parse_container_header(file.span(), file.size()));
  // range_ok for both regions: checked by parse_container_header.
  Buffer payload =
      file.slice_unchecked(static_cast<std::size_t>(h.payload_offset), static_cast<std::size_t>(h.payload_length));
  Buffer table =
      file.slice_unchecked(static_cast<std::size_t>(h.table_offset), static_cast<std::size_t>(h.table_length));
  SEGPACK_ASSIGN_OR_RETURN(ContainerReader r, assemble(h, std::move(payload), std::move(table), opts));
  r.file_ = std::move(file);
  return r;
}

Result<ContainerReader> ContainerReader::open_file(const std::string& path, ContainerReadOptions opts) {
  Result<Buffer> file = !opts.mmap ? read_checked(path) : opts.copy_on_write ? map_copy_on_write(path) : map_file(path);
  if (!file.ok()) return file.status();
  auto r = open(std::move(file).value(), opts);
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

ByteSpan ContainerReader::metadata(std::size_t i) const noexcept {
  const ContainerBufferInfo& b = infos_[i];
  const std::size_t start = infos_.size() * kContainerEntrySize;  // the metadata region
  return {table_.data() + start + b.metadata_offset, b.metadata_length};
}

std::optional<std::size_t> ContainerReader::find(ByteSpan name) const noexcept {
  for (std::size_t i = 0; i < infos_.size(); ++i) {
    const ByteSpan m = metadata(i);
    if (m.size() == name.size() && (m.empty() || std::memcmp(m.data(), name.data(), m.size()) == 0)) return i;
  }
  return std::nullopt;
}

Buffer ContainerReader::payload() const noexcept { return payload_; }

Status ContainerReader::check_index(std::size_t i) const {
  if (i >= infos_.size()) {
    return out_of_range("buffer " + std::to_string(i) + " of a container of " + std::to_string(infos_.size()));
  }
  return Status::OK();
}

Result<Buffer> ContainerReader::buffer(std::size_t i) const {
  SEGPACK_ASSIGN_OR_RETURN(auto v, buffers(std::span<const std::size_t>(&i, 1)));
  return std::move(v[0]);
}

Result<std::vector<Buffer>> ContainerReader::buffers(std::span<const std::size_t> indices) const {
  std::vector<std::size_t> all;
  if (indices.empty()) {
    all.resize(infos_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    indices = all;
  }
  for (std::size_t i : indices) SEGPACK_RETURN_IF_ERROR(check_index(i));
  std::vector<Buffer> stored;
  if (source_) {
    SEGPACK_ASSIGN_OR_RETURN(stored, internal::read_stored(*source_, *source_mu_, infos_, indices));
  } else {
    stored.resize(indices.size());
    for (std::size_t j = 0; j < indices.size(); ++j) {
      const ContainerBufferInfo& b = infos_[indices[j]];
      stored[j] = file_.slice_unchecked(static_cast<std::size_t>(b.offset), static_cast<std::size_t>(b.stored_length));
    }
  }
  return decode(indices, std::move(stored), source_ != nullptr);
}

// Buffers `indices` from their stored bytes (stored[j] for indices[j]):
// codec none as views of them (checked when verify asks or they come from a
// source), or (from a source, copy_fetched) copied with their crc checked in
// the same pass; the others decoded and checked.
Result<std::vector<Buffer>> ContainerReader::decode(std::span<const std::size_t> indices, std::vector<Buffer> stored,
                                                    bool from_source) const {
  const std::size_t k = indices.size();
  std::vector<Buffer> out(k);
  std::vector<std::size_t> to_check;                 // positions in `out` whose crc is checked
  std::vector<std::size_t> to_copy;                  // positions copied (crc checked as they are)
  std::map<Codec, std::vector<std::size_t>> groups;  // codec -> positions
  for (std::size_t j = 0; j < k; ++j) {
    const ContainerBufferInfo& b = infos_[indices[j]];
    if (b.codec == Codec::none) {
      if (from_source && opts_.copy_fetched) {
        to_copy.push_back(j);
      } else {
        out[j] = std::move(stored[j]);
        if (opts_.verify || from_source) to_check.push_back(j);
      }
    } else {
      groups[b.codec].push_back(j);
      to_check.push_back(j);
    }
  }
  if (!to_copy.empty()) {
    SEGPACK_RETURN_IF_ERROR(internal::copy_checked(infos_, indices, to_copy, stored, out, opts_.parallel));
  }
  BatchOptions bopts;
  bopts.parallel = opts_.parallel;
  bopts.limits = opts_.limits;
  for (const auto& group : groups) {  // not a structured binding: clang 14 cannot capture one
    const Codec codec = group.first;
    const std::vector<std::size_t>& members = group.second;
    std::vector<ByteSpan> frames(members.size());
    std::vector<std::uint64_t> sizes(members.size());
    for (std::size_t m = 0; m < members.size(); ++m) {
      const ContainerBufferInfo& b = infos_[indices[members[m]]];
      frames[m] = stored[members[m]].span();
      sizes[m] = declared_size(b);
    }
    auto r = internal::decompress_spans(frames, codec, sizes, bopts,
                                        [&](std::size_t m) { return "buffer " + std::to_string(indices[members[m]]); });
    if (!r.ok()) return r.status();
    for (std::size_t m = 0; m < members.size(); ++m) out[members[m]] = r->segment(m);
  }
  if (!to_check.empty()) {
    std::uint64_t bytes = 0;
    for (std::size_t j : to_check) bytes += out[j].size();
    internal::FirstError err;
    auto check = [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t t = begin; t < end; ++t) {
        if (err.skip(t)) continue;
        const std::size_t j = to_check[t];
        const ContainerBufferInfo& b = infos_[indices[j]];
        if (out[j].size() != b.raw_length) {
          err.record(t,
                     corrupt("buffer " + std::to_string(indices[j]) + " decodes to " + std::to_string(out[j].size()) +
                                 " bytes, the table says " + std::to_string(b.raw_length),
                             kFormat));
          continue;
        }
        const std::uint32_t c = crc32c(out[j].span());
        if (c != b.crc32c) err.record(t, crc_mismatch(indices[j], b.crc32c, c));
      }
    };
    internal::parallel_run(to_check.size(), bytes, opts_.parallel, check);
    if (err.failed()) return err.take();
  }
  return out;
}

Status ContainerReader::verify_buffer(std::size_t i) const {
  SEGPACK_RETURN_IF_ERROR(check_index(i));
  if (source_) return buffers(std::span<const std::size_t>(&i, 1)).status();
  const ContainerBufferInfo& b = infos_[i];
  ByteSpan raw(file_.data() + b.offset, static_cast<std::size_t>(b.stored_length));
  BufferWithSegments decoded;
  if (b.codec != Codec::none) {
    BatchOptions bopts;
    bopts.parallel = opts_.parallel;
    bopts.parallel.threads = 1;  // one buffer: decode on this thread
    bopts.limits = opts_.limits;
    const std::uint64_t size = declared_size(b);
    auto r = internal::decompress_spans(std::span<const ByteSpan>(&raw, 1), b.codec,
                                        std::span<const std::uint64_t>(&size, 1), bopts,
                                        [&](std::size_t) { return "buffer " + std::to_string(i); });
    if (!r.ok()) return r.status();
    decoded = std::move(r).value();
    raw = decoded[0];
    if (raw.size() != b.raw_length) {
      return corrupt("buffer " + std::to_string(i) + " decodes to " + std::to_string(raw.size()) +
                         " bytes, the table says " + std::to_string(b.raw_length),
                     kFormat);
    }
  }
  const std::uint32_t c = crc32c(raw);
  if (c != b.crc32c) return crc_mismatch(i, b.crc32c, c);
  return Status::OK();
}

Status ContainerReader::verify() const {
  if (crc32c(payload_.span()) != header_.payload_crc32c) return data_loss("payload crc32c mismatch", kFormat);
  if (source_) return buffers().status();
  std::uint64_t bytes = 0;
  for (const auto& b : infos_) bytes += b.stored_length;
  internal::FirstError err;
  auto check = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (err.skip(i)) continue;
      Status st = verify_buffer(i);
      if (!st.ok()) err.record(i, std::move(st));
    }
  };
  internal::parallel_run(infos_.size(), bytes, opts_.parallel, check);
  return err.take();
}

}  // namespace segpack
