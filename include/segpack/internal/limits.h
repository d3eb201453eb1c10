// segpack internal — the size rules every format and codec shares. May change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "segpack/result.h"

namespace segpack::internal {

/// The most items one MapBuffer or IntMap holds: its header stores the count as a u32.
inline constexpr std::uint64_t kMaxItems = std::numeric_limits<std::uint32_t>::max();

/// OK when `n` items fit in one map, else invalid_argument
/// "<container> holds at most 2^32-1 <unit>, got n" (container: "a MapBuffer",
/// unit: "items"). Writers that add one item at a time pass size() + 1.
Status check_item_count(std::uint64_t n, std::string_view container, std::string_view unit);

/// The largest output a size claim (gzip ISIZE, zstd frame content size,
/// DecompressOptions::expected_size, a size a batch item declares) may make
/// us allocate up front for `in_size` input bytes: DEFLATE's maximum expansion
/// (1032:1) plus 64 KiB of slack, saturating. A claim above this is not
/// trusted: the output then grows with the data actually produced.
constexpr std::size_t plausible_output(std::size_t in_size) noexcept {
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  constexpr std::size_t kSlack = std::size_t{64} << 10;
  return in_size > (kMax - kSlack) / 1032 ? kMax : in_size * 1032 + kSlack;
}

}  // namespace segpack::internal
