#include "segpack/internal/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace segpack::internal {

namespace {

constexpr std::size_t kWriteBuffer = 1 << 20;

std::string errno_text(std::string_view what, const std::string& path, int err) {
  return std::string(what) + " '" + path + "': " + std::strerror(err);
}

Status write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error(errno_text("cannot write", path, errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Status::OK();
}

Result<std::pair<int, std::string>> make_temp(const std::string& path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::string name = ".";  // appended step by step: gcc 12 warns (-Wrestrict) on "." + string
  name += p.filename().string();
  name += ".tmp.XXXXXX";
  std::string tmpl = (dir / name).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) return io_error(errno_text("cannot create a temporary file for", path, errno));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::make_pair(fd, std::string(buf.data()));
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& path, bool durable) {
  if (path.empty()) return invalid_argument("empty path");
  SEGPACK_ASSIGN_OR_RETURN(auto fdpath, make_temp(path));
  AtomicFile f;
  f.fd_ = fdpath.first;
  f.temp_path_ = std::move(fdpath.second);
  f.final_path_ = path;
  f.durable_ = durable;
  // mkstemp creates 0600; published files get the usual 0644 less the umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(f.fd_, 0666 & ~mask);
  return f;
}

Result<AtomicFile> AtomicFile::scratch(const std::string& near_path) {
  SEGPACK_ASSIGN_OR_RETURN(auto fdpath, make_temp(near_path));
  ::unlink(fdpath.second.c_str());
  AtomicFile f;
  f.fd_ = fdpath.first;
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : fd_(o.fd_),
      final_path_(std::move(o.final_path_)),
      temp_path_(std::move(o.temp_path_)),
      size_(o.size_),
      durable_(o.durable_),
      buffer_(std::move(o.buffer_)) {
  o.fd_ = -1;
  o.temp_path_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& o) noexcept {
  if (this != &o) {
    discard();
    fd_ = o.fd_;
    final_path_ = std::move(o.final_path_);
    temp_path_ = std::move(o.temp_path_);
    size_ = o.size_;
    durable_ = o.durable_;
    buffer_ = std::move(o.buffer_);
    o.fd_ = -1;
    o.temp_path_.clear();
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Status AtomicFile::flush_buffer() {
  if (buffer_.empty()) return Status::OK();
  Status st = write_all(fd_, reinterpret_cast<const std::uint8_t*>(buffer_.data()), buffer_.size(),
                        temp_path_.empty() ? std::string("<scratch>") : temp_path_);
  buffer_.clear();
  return st;
}

Status AtomicFile::write(ByteSpan bytes) {
  if (fd_ < 0) return invalid_argument("write to a closed file");
  if (buffer_.size() + bytes.size() > kWriteBuffer) SEGPACK_RETURN_IF_ERROR(flush_buffer());
  if (bytes.size() >= kWriteBuffer) {
    SEGPACK_RETURN_IF_ERROR(write_all(fd_, bytes.data(), bytes.size(), temp_path_));
  } else {
    buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  size_ += bytes.size();
  return Status::OK();
}

Result<Buffer> AtomicFile::map_contents() {
  if (fd_ < 0) return invalid_argument("read from a closed file");
  SEGPACK_RETURN_IF_ERROR(flush_buffer());
  return map_fd(fd_);
}

Status AtomicFile::commit() {
  if (fd_ < 0 || temp_path_.empty()) return invalid_argument("commit of a closed or scratch file");
  Status st = flush_buffer();
  if (st.ok() && durable_ && ::fsync(fd_) != 0) st = io_error(errno_text("cannot fsync", temp_path_, errno));
  if (st.ok() && ::close(fd_) != 0) st = io_error(errno_text("cannot close", temp_path_, errno));
  fd_ = -1;
  if (st.ok() && ::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    st = io_error(errno_text("cannot rename onto", final_path_, errno));
  }
  if (st.ok()) temp_path_.clear();  // published: nothing to delete
  discard();
  return st;
}

}  // namespace segpack::internal
