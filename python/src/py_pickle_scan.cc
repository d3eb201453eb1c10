// A walk over a pickle stream's opcodes that checks every length it declares
// (counted bytes, strings, longs, frames) against the bytes left in the
// stream, before the unpickler sees it: CPython's unpickler allocates a
// counted object at its declared size before reading it, so a forged
// BINBYTES8 / BYTEARRAY8 / BINUNICODE8 length would make it allocate a size
// chosen by the data. Used by segpack.deserialize on every restricted load.
#include <nanobind/nanobind.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "bindings.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_sig.h"
#include "segpack/internal/bytes.h"

namespace segpack::py {

namespace {

// How an opcode's argument is laid out after the opcode byte.
enum class Arg : std::uint8_t {
  unknown,    // not a pickle opcode
  none,       // no argument
  fixed1,     // 1 byte
  fixed2,     // 2 bytes
  fixed4,     // 4 bytes
  fixed8,     // 8 bytes
  count1,     // u8 length, then that many bytes
  count4,     // u32 length, then that many bytes
  count4s,    // i32 length (negative is invalid), then that many bytes
  count8,     // u64 length, then that many bytes
  line,       // bytes up to and including a newline
  two_lines,  // two of those
  frame,      // u64 length of the frame that follows (not skipped)
};

struct OpTable {
  Arg arg[256] = {};
  constexpr OpTable() {
    for (const char c : std::string_view("\x97\x98N\x88\x89]ael)t\x85\x86\x87}dsu\x8f\x90\x91"
                                         "0(21\x94\x93Rbo\x81\x92.Q")) {
      arg[static_cast<std::uint8_t>(c)] = Arg::none;
    }
    for (const char c : std::string_view("Khq\x82\x80")) arg[static_cast<std::uint8_t>(c)] = Arg::fixed1;
    for (const char c : std::string_view("M\x83")) arg[static_cast<std::uint8_t>(c)] = Arg::fixed2;
    for (const char c : std::string_view("J\x84jr")) arg[static_cast<std::uint8_t>(c)] = Arg::fixed4;
    arg[static_cast<std::uint8_t>('G')] = Arg::fixed8;
    for (const char c : std::string_view("\x8a"
                                         "UC\x8c"))
      arg[static_cast<std::uint8_t>(c)] = Arg::count1;
    for (const char c : std::string_view("BX")) arg[static_cast<std::uint8_t>(c)] = Arg::count4;
    for (const char c : std::string_view("\x8bT")) arg[static_cast<std::uint8_t>(c)] = Arg::count4s;
    for (const char c : std::string_view("\x8e\x8d\x96")) arg[static_cast<std::uint8_t>(c)] = Arg::count8;
    for (const char c : std::string_view("IgpLSVFP")) arg[static_cast<std::uint8_t>(c)] = Arg::line;
    for (const char c : std::string_view("ci")) arg[static_cast<std::uint8_t>(c)] = Arg::two_lines;
    arg[0x95] = Arg::frame;
  }
};
constexpr OpTable kOps;

Status too_long(std::size_t at, std::uint64_t len, std::size_t left) {
  return corrupt("segpack payload: malformed pickle stream (the opcode at byte " + std::to_string(at) + " declares " +
                     std::to_string(len) + " bytes, " + std::to_string(left) + " are left)",
                 ErrorCategory::format);
}

}  // namespace

/// Checks the declared lengths of `s`'s opcodes up to its STOP. Error
/// (corrupt, format): a length past the end of `s`. Anything else malformed
/// (an unknown opcode, a truncated argument, a negative length, no STOP) ends
/// the walk with OK: the unpickler stops there with its own error, before
/// it reaches anything after it.
Status check_pickle_lengths(ByteSpan s) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t at = i;
    const std::uint8_t op = s[i++];
    const std::size_t left = n - i;
    std::uint64_t len = 0;
    std::size_t width = 0;
    switch (kOps.arg[op]) {
      case Arg::unknown: return Status::OK();
      case Arg::none:
        if (op == '.') return Status::OK();
        continue;
      case Arg::fixed1:
      case Arg::fixed2:
      case Arg::fixed4:
      case Arg::fixed8: {
        const std::size_t k = kOps.arg[op] == Arg::fixed1   ? 1
                              : kOps.arg[op] == Arg::fixed2 ? 2
                              : kOps.arg[op] == Arg::fixed4 ? 4
                                                            : 8;
        if (k > left) return Status::OK();
        i += k;
        continue;
      }
      case Arg::line:
      case Arg::two_lines: {
        for (int lines = kOps.arg[op] == Arg::line ? 1 : 2; lines > 0; --lines) {
          const void* nl = std::memchr(s.data() + i, '\n', n - i);
          if (nl == nullptr) return Status::OK();
          i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - s.data()) + 1;
        }
        continue;
      }
      case Arg::count1: width = 1; break;
      case Arg::count4:
      case Arg::count4s: width = 4; break;
      case Arg::count8:
      case Arg::frame: width = 8; break;
    }
    if (width > left) return Status::OK();
    if (width == 1) len = s[i];
    if (width == 4) len = internal::load_le<std::uint32_t>(s.data() + i);
    if (width == 8) len = internal::load_le<std::uint64_t>(s.data() + i);
    i += width;
    if (kOps.arg[op] == Arg::count4s && len >= (std::uint64_t{1} << 31)) return Status::OK();  // negative
    if (len > n - i) return too_long(at, len, n - i);
    if (kOps.arg[op] != Arg::frame) i += static_cast<std::size_t>(len);
  }
  return Status::OK();
}

void bind_pickle(nb::module_& m) {
  m.def(
      "check_pickle_lengths",
      [](nb::handle data) {
        const Buffer b = require_buffer(data, "%s must be a bytes-like object, not %s", "data");
        check(check_pickle_lengths(b.span()));
      },
      nb::arg("data"), nb::sig("def check_pickle_lengths(data: " SEGPACK_PY_BYTES_LIKE ") -> None"),
      "Checks that every length a pickle stream declares (counted bytes, strings, longs, frames) fits\n"
      "in the bytes left after it, up to its STOP (or to the first malformed opcode, where the\n"
      "unpickler stops with its own error), without building anything.\n\n"
      "Returns None. Raises ValidationError for a length past the end.");
}

}  // namespace segpack::py
