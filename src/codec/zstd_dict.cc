// segpack — zstd dictionaries (made lazily, shared), parameter checks, the
// dictionary trainer and the level tables.
#include "zstd_internal.h"

#define ZDICT_STATIC_LINKING_ONLY  // ZDICT_optimizeTrainFromBuffer_fastCover: exported by libzstd 1.5
#include <zdict.h>
#include <zstd_errors.h>

#include <cstring>
#include <limits>
#include <new>
#include <string_view>

namespace segpack {

namespace ci = internal;

namespace {

constexpr std::uint32_t kDictMagic = 0xEC30A437;  // ZSTD_MAGIC_DICTIONARY, little-endian on disk

bool has_dict_magic(const std::vector<std::uint8_t>& b) noexcept {
  if (b.size() < 4) return false;
  const std::uint32_t m =
      std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 | std::uint32_t{b[3]} << 24;
  return m == kDictMagic;
}

// One compression parameter: python-zstandard's name, libzstd's id, the value.
struct NamedParam {
  std::string_view name;
  ZSTD_cParameter param;
  int value;
};

// Every parameter of `p` that is not left to libzstd, in python-zstandard's
// order (threads first: setting it resets the job parameters).
std::vector<NamedParam> explicit_params(const ZstdCompressParams& p) {
  const NamedParam all[] = {
      {"threads", ZSTD_c_nbWorkers, p.threads},
      {"format", ZSTD_c_format, p.format},
      {"window_log", ZSTD_c_windowLog, p.window_log},
      {"hash_log", ZSTD_c_hashLog, p.hash_log},
      {"chain_log", ZSTD_c_chainLog, p.chain_log},
      {"search_log", ZSTD_c_searchLog, p.search_log},
      {"min_match", ZSTD_c_minMatch, p.min_match},
      {"target_length", ZSTD_c_targetLength, p.target_length},
      {"strategy", ZSTD_c_strategy, p.strategy},
      {"job_size", ZSTD_c_jobSize, p.job_size},
      {"overlap_log", ZSTD_c_overlapLog, p.overlap_log},
      {"force_max_window", ZSTD_c_forceMaxWindow, p.force_max_window},
      {"enable_ldm", ZSTD_c_enableLongDistanceMatching, p.enable_ldm},
      {"ldm_hash_log", ZSTD_c_ldmHashLog, p.ldm_hash_log},
      {"ldm_min_match", ZSTD_c_ldmMinMatch, p.ldm_min_match},
      {"ldm_bucket_size_log", ZSTD_c_ldmBucketSizeLog, p.ldm_bucket_size_log},
      {"ldm_hash_rate_log", ZSTD_c_ldmHashRateLog, p.ldm_hash_rate_log},
  };
  std::vector<NamedParam> out;
  for (const NamedParam& n : all) {
    if (n.value != 0) out.push_back(n);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- ZstdDictionary

ZstdDictionary::Impl::~Impl() {
  for (const LevelCDict& c : cdicts) ZSTD_freeCDict(c.cdict);
  ZSTD_freeDDict(ddict.load());
}

bool ZstdDictionary::Impl::auto_type_agrees() const noexcept {
  switch (type) {
    case ZstdDictType::automatic: return true;
    case ZstdDictType::full: return has_dict_magic(bytes);
    case ZstdDictType::raw_content: return !has_dict_magic(bytes);
  }
  return false;
}

Result<const ZSTD_CDict*> ZstdDictionary::Impl::cdict(int level) const {
  std::lock_guard lk(mu);
  for (const LevelCDict& c : cdicts) {
    if (c.level == level) return static_cast<const ZSTD_CDict*>(c.cdict);
  }
  if (!auto_type_agrees())
    return internal_error("zstd: a shared CDict for a dictionary whose type needs a local one", ErrorCategory::encode);
  try {
    cdicts.reserve(cdicts.size() + 1);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("zstd: out of memory digesting a dictionary", ErrorCategory::encode);
  }
  ZSTD_CDict* c = ZSTD_createCDict_byReference(bytes.data(), bytes.size(), level);
  if (c == nullptr) {
    return corrupt("zstd: cannot digest the dictionary for compression (corrupt dictionary, or out of memory)",
                   ErrorCategory::encode);
  }
  cdicts.push_back({level, c});
  return static_cast<const ZSTD_CDict*>(c);
}

bool ZstdDictionary::Impl::loads_for_compression(int level) const noexcept {
  ZSTD_CDict* c = ZSTD_createCDict_advanced(bytes.data(), bytes.size(), ZSTD_dlm_byRef, content_type(),
                                            ZSTD_getCParams(level, 0, bytes.size()), ZSTD_defaultCMem);
  ZSTD_freeCDict(c);
  return c != nullptr;
}

Result<const ZSTD_DDict*> ZstdDictionary::Impl::ddict_ref() const {
  if (ZSTD_DDict* d = ddict.load(std::memory_order_acquire)) return static_cast<const ZSTD_DDict*>(d);
  std::lock_guard lk(mu);
  if (ZSTD_DDict* d = ddict.load(std::memory_order_relaxed)) return static_cast<const ZSTD_DDict*>(d);
  ZSTD_DDict* d =
      ZSTD_createDDict_advanced(bytes.data(), bytes.size(), ZSTD_dlm_byRef, content_type(), ZSTD_defaultCMem);
  if (d == nullptr) {
    return corrupt("zstd: cannot digest the dictionary for decompression (corrupt dictionary, or out of memory)",
                   ErrorCategory::decode);
  }
  ddict.store(d, std::memory_order_release);
  return static_cast<const ZSTD_DDict*>(d);
}

ZstdDictionary::ZstdDictionary(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
ZstdDictionary::~ZstdDictionary() = default;

Result<std::shared_ptr<const ZstdDictionary>> ZstdDictionary::make(ByteSpan bytes, ZstdDictType type) {
  if (static_cast<std::uint8_t>(type) > static_cast<std::uint8_t>(ZstdDictType::full)) {
    return invalid_argument("zstd: invalid dictionary type " + std::to_string(static_cast<int>(type)) +
                            " (0 automatic, 1 raw content, 2 full)");
  }
  try {
    auto impl = std::make_unique<Impl>();
    impl->bytes.assign(bytes.begin(), bytes.end());
    impl->type = type;
    impl->id = bytes.empty() ? 0 : ZDICT_getDictID(bytes.data(), bytes.size());
    return std::shared_ptr<const ZstdDictionary>(new ZstdDictionary(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("zstd: out of memory copying a dictionary of " + std::to_string(bytes.size()) + " bytes");
  }
}

ByteSpan ZstdDictionary::bytes() const noexcept { return {impl_->bytes.data(), impl_->bytes.size()}; }
ZstdDictType ZstdDictionary::type() const noexcept { return impl_->type; }
std::uint32_t ZstdDictionary::id() const noexcept { return impl_->id; }

Status ZstdDictionary::prepare_compression(int level) const {
  const auto [lo, hi] = std::pair{ZSTD_minCLevel(), ZSTD_maxCLevel()};
  if (level < lo || level > hi) {
    return invalid_argument("zstd: level " + std::to_string(level) + " is outside " + std::to_string(lo) + ".." +
                            std::to_string(hi));
  }
  if (impl_->empty() || !impl_->auto_type_agrees()) return Status::OK();  // digested by each context
  return impl_->cdict(level).status();
}

Status ZstdDictionary::prepare_decompression() const {
  if (impl_->empty()) return Status::OK();
  return impl_->ddict_ref().status();
}

// ---------------------------------------------------------------- parameters

namespace internal {

std::string zstd_error_text(std::size_t code) { return ZSTD_getErrorName(code); }

Status apply_zstd_params(ZSTD_CCtx* cctx, int level, const ZstdCompressParams& p) {
  std::vector<NamedParam> params = explicit_params(p);
  // Always set, as python-zstandard does (level, then the frame flags).
  const NamedParam always[] = {
      {"level", ZSTD_c_compressionLevel, level},
      {"write_content_size", ZSTD_c_contentSizeFlag, p.write_content_size ? 1 : 0},
      {"write_checksum", ZSTD_c_checksumFlag, p.write_checksum ? 1 : 0},
      {"write_dict_id", ZSTD_c_dictIDFlag, p.write_dict_id ? 1 : 0},
  };
  params.insert(params.begin() + (p.threads != 0 ? 1 : 0), std::begin(always), std::end(always));
  for (const NamedParam& n : params) {
    const std::size_t r = ZSTD_CCtx_setParameter(cctx, n.param, n.value);
    if (ZSTD_isError(r)) {
      return invalid_argument("zstd: cannot set " + std::string(n.name) + " = " + std::to_string(n.value) + " (" +
                              zstd_error_text(r) + ")");
    }
  }
  return Status::OK();
}

}  // namespace internal

Status validate(const ZstdCompressParams& p) {
  if (p.format != 0) {
    return invalid_argument("zstd: format " + std::to_string(p.format) +
                            " is not supported (only zstd1 frames, format 0; magicless frames are not)");
  }
  for (const NamedParam& n : explicit_params(p)) {
    const ZSTD_bounds b = ZSTD_cParam_getBounds(n.param);
    if (ZSTD_isError(b.error)) {
      return invalid_argument("zstd: " + std::string(n.name) + " is not supported by this libzstd (" +
                              ci::zstd_error_text(b.error) + ")");
    }
    if (n.value < b.lowerBound || n.value > b.upperBound) {
      std::string m = "zstd: " + std::string(n.name) + " " + std::to_string(n.value) + " is outside " +
                      std::to_string(b.lowerBound) + ".." + std::to_string(b.upperBound);
      if (n.param == ZSTD_c_nbWorkers && b.upperBound == 0) m += " (libzstd was built without threads)";
      return invalid_argument(m);
    }
  }
  return Status::OK();
}

Status validate(const ZstdDecompressParams& p) {
  if (p.format != 0) {
    return invalid_argument("zstd: format " + std::to_string(p.format) +
                            " is not supported (only zstd1 frames, format 0; magicless frames are not)");
  }
  if (p.max_window_size != 0) {
    const ZSTD_bounds b = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
    const std::uint64_t lo = std::uint64_t{1} << b.lowerBound;
    const std::uint64_t hi = std::uint64_t{1} << b.upperBound;
    if (p.max_window_size < lo || p.max_window_size > hi) {
      return invalid_argument("zstd: max_window_size " + std::to_string(p.max_window_size) + " is outside " +
                              std::to_string(lo) + ".." + std::to_string(hi));
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------- training

Result<ZstdTrainResult> train_zstd_dictionary(std::span<const ByteSpan> samples, std::size_t dict_size,
                                              const ZstdTrainOptions& o) {
  if (samples.empty()) return invalid_argument("zstd: cannot train a dictionary from no samples");
  if (dict_size == 0) return invalid_argument("zstd: dict_size must be positive");
  if (samples.size() > std::numeric_limits<unsigned>::max()) {
    return invalid_argument("zstd: too many samples (" + std::to_string(samples.size()) + ")");
  }
  std::vector<std::uint8_t> joined;
  std::vector<std::size_t> sizes;
  std::vector<std::uint8_t> dict;
  try {
    std::size_t total = 0;
    for (const ByteSpan& s : samples) total += s.size();
    joined.reserve(total);
    sizes.reserve(samples.size());
    for (const ByteSpan& s : samples) {
      joined.insert(joined.end(), s.begin(), s.end());
      sizes.push_back(s.size());
    }
    dict.resize(dict_size);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("zstd: out of memory gathering the training samples");
  } catch (const std::length_error&) {
    return resource_exhausted("zstd: the training samples are too large");
  }

  ZDICT_fastCover_params_t params;
  std::memset(&params, 0, sizeof(params));
  params.k = o.k;
  params.d = o.d;
  params.f = o.f;
  params.steps = o.steps;
  params.nbThreads = o.threads;
  params.splitPoint = o.split_point;
  params.accel = o.accel;
  params.zParams.notificationLevel = o.notifications;
  params.zParams.dictID = o.dict_id;
  params.zParams.compressionLevel = o.level;
  if (o.steps == 0 && o.threads == 0) {  // python-zstandard's defaults = ZDICT_trainFromBuffer's
    if (params.d == 0) params.d = 8;
    params.steps = 4;
    if (params.zParams.compressionLevel == 0) params.zParams.compressionLevel = 3;
  }
  const std::size_t r = ZDICT_optimizeTrainFromBuffer_fastCover(dict.data(), dict.size(), joined.data(), sizes.data(),
                                                                static_cast<unsigned>(sizes.size()), &params);
  if (ZDICT_isError(r)) {
    return invalid_argument(std::string("zstd: cannot train a dictionary: ") + ZDICT_getErrorName(r) + " (" +
                            std::to_string(samples.size()) + " samples, " + std::to_string(joined.size()) +
                            " bytes, dict_size " + std::to_string(dict_size) + ")");
  }
  SEGPACK_ASSIGN_OR_RETURN(auto d, ZstdDictionary::make(ByteSpan(dict.data(), r), ZstdDictType::full));
  return ZstdTrainResult{std::move(d), params.k, params.d};
}

// ---------------------------------------------------------------- tables

ZstdLevelParams zstd_level_params(int level, std::uint64_t source_size, std::size_t dict_size) noexcept {
  const ZSTD_compressionParameters c = ZSTD_getCParams(level, source_size, dict_size);
  return {static_cast<int>(c.windowLog), static_cast<int>(c.chainLog), static_cast<int>(c.hashLog),
          static_cast<int>(c.searchLog), static_cast<int>(c.minMatch), static_cast<int>(c.targetLength),
          static_cast<int>(c.strategy)};
}

unsigned zstd_version_number() noexcept { return ZSTD_versionNumber(); }

}  // namespace segpack
