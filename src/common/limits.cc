// segpack — the size rules every format and codec shares.
#include "segpack/internal/limits.h"

#include <string>

namespace segpack::internal {

Status check_item_count(std::uint64_t n, std::string_view container, std::string_view unit) {
  if (n <= kMaxItems) return Status::OK();
  return invalid_argument(std::string(container) + " holds at most 2^32-1 " + std::string(unit) + ", got " +
                          std::to_string(n));
}

}  // namespace segpack::internal
