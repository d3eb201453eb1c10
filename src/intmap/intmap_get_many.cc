// segpack — get_many over an IntMap: many lookups in one call, in parallel on
// the library's pool for large batches.
#include "segpack/get_many.h"
#include "segpack/internal/parallel.h"

namespace segpack {

Status get_many(const IntMapReader& map, std::span<const std::uint64_t> keys, std::span<std::uint64_t> out,
                std::optional<std::uint64_t> default_value, const ParallelOptions& parallel,
                std::vector<std::uint8_t>* found) {
  if (out.size() != keys.size()) {
    return invalid_argument("get_many: " + std::to_string(keys.size()) + " keys but room for " +
                            std::to_string(out.size()) + " values");
  }
  if (found != nullptr) found->assign(keys.size(), 0);
  if (map.partial_index()) {
    // All lookups advance together: one read_many per round of blocks.
    SEGPACK_ASSIGN_OR_RETURN(std::vector<std::optional<std::size_t>> pos, map.lookup_many(keys));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (pos[i]) {
        SEGPACK_ASSIGN_OR_RETURN(auto kv, map.entry(*pos[i]));
        out[i] = kv.second;
        if (found != nullptr) (*found)[i] = 1;
      } else if (default_value) {
        out[i] = *default_value;
      } else {
        return Status(ErrorCode::not_found, "key " + std::to_string(keys[i]) + " not found");
      }
    }
    return Status::OK();
  }
  internal::FirstError err;
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end && !err.skip(i); ++i) {
      const std::optional<std::size_t> pos = map.find(keys[i]);
      if (pos) {
        out[i] = map.value_at(*pos);
        if (found != nullptr) (*found)[i] = 1;
      } else if (default_value) {
        out[i] = *default_value;
      } else {
        return err.record(i, Status(ErrorCode::not_found, "key " + std::to_string(keys[i]) + " not found"));
      }
    }
  };
  // ~100 ns per lookup, counted as 128 bytes of work for the inline rule.
  internal::parallel_run(keys.size(), std::uint64_t{keys.size()} * 128, parallel, work);
  return err.take();
}

}  // namespace segpack
