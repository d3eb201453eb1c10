// segpack — HTTP range responses: Content-Range values and
// multipart/byteranges bodies. Both are untrusted: numbers are parsed with
// overflow checks and every part's length goes through range_ok.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "segpack/internal/text.h"
#include "segpack/remote.h"

namespace segpack {

namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A decimal u64 making up all of `s`; nullopt when empty, not digits, or overflowing.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

Status bad_content_range(std::string_view value, const char* why) {
  return corrupt("Content-Range '" +
                 internal::escape_bytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(value.data()),
                                                 std::min<std::size_t>(value.size(), 80))) +
                 "': " + why);
}

}  // namespace

Result<ContentRange> parse_content_range(std::string_view value) {
  std::string_view v = trim(value);
  if (v.size() < 6 || !iequal(v.substr(0, 6), "bytes ")) return bad_content_range(value, "not a bytes range");
  v = trim(v.substr(6));
  const std::size_t slash = v.find('/');
  if (slash == std::string_view::npos) return bad_content_range(value, "no '/'");
  const std::string_view spec = v.substr(0, slash), size = v.substr(slash + 1);
  ContentRange cr;
  if (size != "*") {
    cr.total = parse_u64(size);
    if (!cr.total) return bad_content_range(value, "bad total size");
  }
  if (spec == "*") {
    if (!cr.total) return bad_content_range(value, "neither a range nor a size");
    return cr;
  }
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad_content_range(value, "no '-'");
  const std::optional<std::uint64_t> first = parse_u64(spec.substr(0, dash));
  const std::optional<std::uint64_t> last = parse_u64(spec.substr(dash + 1));
  if (!first || !last) return bad_content_range(value, "bad range numbers");
  if (*last < *first) return bad_content_range(value, "last byte before first");
  if (*last == UINT64_MAX) return bad_content_range(value, "range overflows");
  if (cr.total && *last >= *cr.total) return bad_content_range(value, "range past the total size");
  cr.range = ByteRange{*first, *last - *first + 1};
  return cr;
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  std::string_view ct = trim(content_type);
  const std::size_t semi = ct.find(';');
  if (!iequal(trim(ct.substr(0, semi)), "multipart/byteranges")) {
    return invalid_argument("content type is not multipart/byteranges");
  }
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : ct.substr(semi + 1);
  while (!rest.empty()) {
    std::size_t next = 0;  // the next ';' outside a quoted string
    for (bool quoted = false; next < rest.size() && (quoted || rest[next] != ';'); ++next) {
      if (rest[next] == '"') quoted = !quoted;
    }
    if (next == rest.size()) next = std::string_view::npos;
    std::string_view param = trim(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || !iequal(trim(param.substr(0, eq)), "boundary")) continue;
    std::string_view val = trim(param.substr(eq + 1));
    if (!val.empty() && val.front() == '"') {
      const std::size_t close = val.find('"', 1);
      if (close == std::string_view::npos) return invalid_argument("unterminated quoted boundary");
      val = val.substr(1, close - 1);
    }
    if (val.empty() || val.size() > kMaxBoundary) return invalid_argument("multipart boundary is empty or too long");
    return std::string(val);
  }
  return invalid_argument("multipart/byteranges without a boundary");
}

Result<std::vector<ByteRangePart>> parse_multipart_byteranges(const Buffer& body, std::string_view content_type,
                                                              const MultipartLimits& limits) {
  SEGPACK_ASSIGN_OR_RETURN(std::string boundary, multipart_boundary(content_type));
  const std::string delim = "--" + boundary;
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  const std::uint64_t size = body.size();

  // The first delimiter: at the start of the body or of a line.
  std::size_t pos = 0;
  for (;;) {
    const std::size_t at = text.find(delim, pos);
    if (at == std::string_view::npos) return corrupt("multipart/byteranges body without a delimiter");
    if (at == 0 || text[at - 1] == '\n') {
      pos = at + delim.size();
      break;
    }
    pos = at + 1;
  }
  // `pos` is just past a delimiter; reads one line's end (CRLF or LF).
  auto line_end = [&](std::size_t from) -> std::size_t {
    const std::size_t nl = text.find('\n', from);
    return nl == std::string_view::npos ? std::string_view::npos : nl;
  };
  std::vector<ByteRangePart> parts;
  for (;;) {
    if (text.substr(pos, 2) == "--") return parts;  // the closing delimiter; an epilogue may follow
    // Transport padding, then the end of the delimiter line.
    const std::size_t nl = line_end(pos);
    if (nl == std::string_view::npos || !trim(text.substr(pos, nl - pos)).empty()) {
      return corrupt("multipart/byteranges: malformed delimiter line (truncated body?)");
    }
    // The line breaks of this part are CRLF or LF, as its delimiter line's.
    const bool crlf = nl > pos && text[nl - 1] == '\r';
    pos = nl + 1;
    if (parts.size() >= limits.max_parts) {
      return resource_exhausted("multipart/byteranges has more than " + std::to_string(limits.max_parts) + " parts");
    }
    // Header lines up to an empty line.
    std::optional<ContentRange> cr;
    for (std::size_t lines = 0;; ++lines) {
      if (lines > limits.max_header_lines) {
        return resource_exhausted("multipart/byteranges part with more than " +
                                  std::to_string(limits.max_header_lines) + " header lines");
      }
      const std::size_t e = line_end(pos);
      if (e == std::string_view::npos) return corrupt("multipart/byteranges: part headers not terminated");
      std::string_view line = text.substr(pos, e - pos);
      pos = e + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return corrupt("multipart/byteranges: header line without ':'");
      if (iequal(trim(line.substr(0, colon)), "content-range")) {
        SEGPACK_ASSIGN_OR_RETURN(ContentRange c, parse_content_range(line.substr(colon + 1)));
        cr = c;
      }
    }
    if (!cr) return corrupt("multipart/byteranges part without Content-Range");
    if (!cr->range) return corrupt("multipart/byteranges part with an unsatisfied Content-Range");
    const std::uint64_t len = cr->range->length;
    if (!range_ok(pos, len, size)) {
      return corrupt("multipart/byteranges part announces " + std::to_string(len) + " bytes but the body has " +
                     std::to_string(size - pos) + " left (truncated body)");
    }
    ByteRangePart part{*cr->range, cr->total, body.slice_unchecked(pos, static_cast<std::size_t>(len))};
    pos += static_cast<std::size_t>(len);
    // A line break, then the next delimiter.
    const std::string_view brk = crlf ? "\r\n" : "\n";
    if (text.substr(pos, brk.size()) == brk) {
      pos += brk.size();
    } else {
      return corrupt("multipart/byteranges part data is longer than its Content-Range");
    }
    if (text.substr(pos, delim.size()) != delim) {
      return corrupt("multipart/byteranges part is not followed by a delimiter (truncated or longer data)");
    }
    pos += delim.size();
    parts.push_back(std::move(part));
  }
}

}  // namespace segpack
