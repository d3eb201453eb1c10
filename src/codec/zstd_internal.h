// segpack internal — what the zstd backend (zstd.cc) needs from a
// ZstdDictionary (zstd_dict.cc): its digested forms. May change.
#pragma once

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_dictContentType_e, *_advanced: exported by libzstd 1.5
#include <zstd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "segpack/result.h"
#include "segpack/zstd.h"

namespace segpack {

struct ZstdDictionary::Impl {
  std::vector<std::uint8_t> bytes;
  ZstdDictType type = ZstdDictType::automatic;
  std::uint32_t id = 0;

  mutable std::mutex mu;  // guards creation below; readers of a made digest take no lock
  struct LevelCDict {
    int level;
    ZSTD_CDict* cdict;
  };
  mutable std::vector<LevelCDict> cdicts;  // few entries: one per level used
  mutable std::atomic<ZSTD_DDict*> ddict{nullptr};

  ~Impl();

  bool empty() const noexcept { return bytes.empty(); }
  ZSTD_dictContentType_e content_type() const noexcept { return static_cast<ZSTD_dictContentType_e>(type); }

  /// True when libzstd's automatic detection reads these bytes as `type`
  /// says: then a CDict made by ZSTD_createCDict (which detects) is the one
  /// a context would make itself from the bytes.
  bool auto_type_agrees() const noexcept;

  /// The CDict for `level`, made on first use (ZSTD_createCDict_byReference:
  /// level-derived parameters for an unknown input size, the dictionary's
  /// level recorded). Only when auto_type_agrees(). Errors: corrupt.
  Result<const ZSTD_CDict*> cdict(int level) const;
  /// Whether libzstd can load these bytes as a compression dictionary of
  /// `type` (a throwaway CDict): tells a corrupt dictionary from a real
  /// allocation failure, which libzstd reports alike for a context that
  /// loads the dictionary itself.
  bool loads_for_compression(int level) const noexcept;
  /// The DDict, made on first use. Errors: corrupt.
  Result<const ZSTD_DDict*> ddict_ref() const;
};

namespace internal {

/// "zstd: <what> (<libzstd's error name>)".
std::string zstd_error_text(std::size_t code);

/// Sets every parameter of `p` (and `level`) on `cctx`, as python-zstandard
/// sets them on its ZSTD_CCtx_params. Errors: invalid_argument naming the
/// parameter libzstd refused.
Status apply_zstd_params(ZSTD_CCtx* cctx, int level, const ZstdCompressParams& p);

}  // namespace internal
}  // namespace segpack
