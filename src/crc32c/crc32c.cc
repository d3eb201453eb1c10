// segpack — CRC-32C: portable slicing-by-8 kernel and the run-time dispatcher.
#include "segpack/crc32c.h"

#include <array>

#include "crc32c_internal.h"
#include "segpack/internal/bytes.h"
#include "segpack/internal/cpu.h"

namespace segpack {
namespace internal {
namespace {

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the register
// contribution of byte b followed by k zero bytes (slicing-by-8).
constexpr Tables make_tables() noexcept {
  Tables t{};
  for (std::uint32_t b = 0; b < 256; ++b) t[0][b] = mul_xpow(b, 8);
  for (std::size_t k = 1; k < 8; ++k)
    for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  return t;
}

constexpr Tables kTables = make_tables();
static_assert(kTables[0][1] == 0xF26B8303u, "CRC-32C table entry 1");
static_assert(kTables[0][128] == kPolyReflected, "CRC-32C table entry 128");

inline std::uint32_t step_byte(std::uint32_t state, std::uint8_t byte) noexcept {
  return (state >> 8) ^ kTables[0][(state ^ byte) & 0xFFu];
}

}  // namespace

std::uint32_t crc32c_extend_portable(std::uint32_t state, const std::uint8_t* p, std::size_t n) noexcept {
  // Align to 8 bytes so the word loads below are aligned (cheaper on some CPUs).
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    state = step_byte(state, *p++);
    --n;
  }
  while (n >= 8) {
    const std::uint64_t w = load_le<std::uint64_t>(p) ^ state;
    const auto lo = static_cast<std::uint32_t>(w);
    const auto hi = static_cast<std::uint32_t>(w >> 32);
    state = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
            kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
            kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) state = step_byte(state, *p++);
  return state;
}

namespace {

bool cpu_has(Crc32cBackend b) noexcept {
  switch (b) {
    case Crc32cBackend::portable: return true;
    case Crc32cBackend::sse42: return cpu_features().x86_sse42 && cpu_features().x86_pclmul;
    case Crc32cBackend::arm64: return cpu_features().arm64_crc32;
    case Crc32cBackend::isal: return SEGPACK_HAVE_ISAL != 0;  // ISA-L picks its own kernel for this CPU
  }
  return false;
}

// Which backends this machine can run, and the preferred one: decided once.
struct Availability {
  bool ok[4];
  Crc32cBackend active;
};

Availability probe() noexcept {
  Availability a{};
  for (int i = 0; i < 4; ++i) a.ok[i] = cpu_has(static_cast<Crc32cBackend>(i));
  // Preference, fastest first. On an AMD EPYC (Zen 3) segpack's sse42 kernel
  // and ISA-L's crc32_iscsi tie within noise from 4 KiB to 64 MiB (~22 GB/s in
  // cache, ~15 GB/s from DRAM; see bench/crc32c_bench.cc), so the own kernel
  // wins the tie: no external dispatch, no int-length chunking.
  constexpr Crc32cBackend kOrder[] = {Crc32cBackend::sse42, Crc32cBackend::arm64, Crc32cBackend::isal,
                                      Crc32cBackend::portable};
  a.active = Crc32cBackend::portable;
  for (Crc32cBackend b : kOrder) {
    if (a.ok[static_cast<int>(b)]) {
      a.active = b;
      break;
    }
  }
  return a;
}

const Availability& availability() noexcept {
  static const Availability a = probe();  // thread-safe one-time initialisation
  return a;
}

inline std::uint32_t run(Crc32cBackend b, std::uint32_t state, const std::uint8_t* p, std::size_t n) noexcept {
  switch (b) {
#if SEGPACK_ARCH_X86
    case Crc32cBackend::sse42: return crc32c_extend_sse42(state, p, n);
#endif
#if SEGPACK_ARCH_ARM64
    case Crc32cBackend::arm64: return crc32c_extend_arm64(state, p, n);
#endif
#if SEGPACK_HAVE_ISAL
    case Crc32cBackend::isal: return crc32c_extend_isal(state, p, n);
#endif
    default: return crc32c_extend_portable(state, p, n);
  }
}

}  // namespace
}  // namespace internal

std::string_view crc32c_backend_name(Crc32cBackend b) noexcept {
  switch (b) {
    case Crc32cBackend::portable: return "portable";
    case Crc32cBackend::sse42: return "sse42";
    case Crc32cBackend::arm64: return "arm64";
    case Crc32cBackend::isal: return "isal";
  }
  return "unknown";
}

bool crc32c_backend_available(Crc32cBackend b) noexcept {
  const auto i = static_cast<unsigned>(b);
  return i < 4 && internal::availability().ok[i];
}

std::vector<Crc32cBackend> crc32c_available_backends() {
  std::vector<Crc32cBackend> out;
  for (int i = 0; i < 4; ++i)
    if (internal::availability().ok[i]) out.push_back(static_cast<Crc32cBackend>(i));
  return out;
}

Crc32cBackend crc32c_active_backend() noexcept { return internal::availability().active; }

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const std::uint8_t*>(data);
  return ~internal::run(crc32c_active_backend(), ~crc, p, size);
}

std::uint32_t crc32c_extend_with(Crc32cBackend b, std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const std::uint8_t*>(data);
  if (!crc32c_backend_available(b)) b = Crc32cBackend::portable;
  return ~internal::run(b, ~crc, p, size);
}

}  // namespace segpack
