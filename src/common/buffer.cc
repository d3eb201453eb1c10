#include "segpack/buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "segpack/internal/atomic_file.h"

namespace segpack {

namespace {

std::string os_error(std::string_view what, const std::string& path, int err) {
  std::string m(what);
  m += " '";
  m += path;
  m += "': ";
  m += std::strerror(err);
  return m;
}

struct Mapping {
  void* addr = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (addr != nullptr) ::munmap(addr, size);
  }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Buffer Buffer::from_vector(std::vector<std::uint8_t> bytes) {
  auto owner = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
  const std::uint8_t* p = owner->data();
  std::size_t n = owner->size();
  return Buffer(p, n, std::shared_ptr<const void>(owner), /*writable=*/true);
}

Buffer Buffer::copy_of(ByteSpan bytes) { return from_vector(std::vector<std::uint8_t>(bytes.begin(), bytes.end())); }

Result<Buffer> Buffer::slice(std::uint64_t offset, std::uint64_t length) const {
  if (!range_ok(offset, length, size_)) {
    return out_of_range("slice [" + std::to_string(offset) + ", +" + std::to_string(length) +
                        ") is outside a buffer of " + std::to_string(size_) + " bytes");
  }
  return slice_unchecked(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
}

Result<Buffer> map_fd(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return io_error(std::string("cannot stat descriptor: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return io_error("not a regular file");
  if (st.st_size == 0) return Buffer();
  auto m = std::make_shared<Mapping>();
  m->size = static_cast<std::size_t>(st.st_size);
  void* addr = ::mmap(nullptr, m->size, PROT_READ, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return io_error(std::string("cannot mmap: ") + std::strerror(errno));
  m->addr = addr;
  const auto* p = static_cast<const std::uint8_t*>(addr);
  return Buffer(p, m->size, std::shared_ptr<const void>(m));
}

Result<Buffer> map_file(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return io_error(os_error("cannot open", path, errno));
  auto r = map_fd(f.fd);
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

Result<Buffer> read_file(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return io_error(os_error("cannot open", path, errno));
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return io_error(os_error("cannot stat", path, errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t r = ::read(f.fd, bytes.data() + done, bytes.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error(os_error("cannot read", path, errno));
    }
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  bytes.resize(done);
  return Buffer::from_vector(std::move(bytes));
}

Status write_file_atomic(const std::string& path, ByteSpan bytes) {
  SEGPACK_ASSIGN_OR_RETURN(auto file, internal::AtomicFile::create(path));
  SEGPACK_RETURN_IF_ERROR(file.write(bytes));
  return file.commit();
}

}  // namespace segpack
