// segpack — zstd frame parameters and dictionaries.
//
// ZstdCompressParams and ZstdDecompressParams carry what python-zstandard's
// ZstdCompressor / ZstdCompressionParameters / ZstdDecompressor accept, in
// libzstd's terms (0 = "let libzstd choose from the level and input size").
// They are passed to Compressor::make / Decompressor::make, to the one-shot
// compress / decompress functions (codec.h) and to compress_batch /
// decompress_batch (batch.h); they only apply to Codec::zstd.
//
// A ZstdDictionary holds the raw dictionary bytes (a copy) and digests them
// on first use, once: one ZSTD_CDict per compression level and one
// ZSTD_DDict, shared read-only by every thread and context that uses the
// dictionary (batch workers included). It is immutable from the outside and
// safe to share across threads; hold it by shared_ptr.
//
// Frames: compression follows the call sequence of python-zstandard's
// ZstdCompressor.compress, so for the same libzstd version, level, parameters
// and dictionary the frames are byte-identical to python-zstandard's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "segpack/buffer.h"
#include "segpack/result.h"

namespace segpack {

/// How dictionary bytes are interpreted (libzstd's ZSTD_dictContentType_e,
/// python-zstandard's DICT_TYPE_* values).
enum class ZstdDictType : std::uint8_t {
  /// A full dictionary when the bytes start with the dictionary magic
  /// (0xEC30A437), raw content otherwise.
  automatic = 0,
  /// Raw content: any bytes, used as a prefix the frames may refer to.
  raw_content = 1,
  /// A full dictionary (magic, id, entropy tables, content); anything else
  /// fails when the dictionary is first used.
  full = 2,
};

/// A zstd dictionary, digested lazily and once, shared by all threads.
class ZstdDictionary {
 public:
  /// Copies `bytes`. Nothing is parsed here (as in python-zstandard): a
  /// malformed full dictionary fails with `corrupt` when first used.
  /// Errors: invalid_argument (a type value outside ZstdDictType),
  /// resource_exhausted (out of memory).
  static Result<std::shared_ptr<const ZstdDictionary>> make(ByteSpan bytes,
                                                            ZstdDictType type = ZstdDictType::automatic);

  ZstdDictionary(const ZstdDictionary&) = delete;
  ZstdDictionary& operator=(const ZstdDictionary&) = delete;
  ~ZstdDictionary();

  /// The dictionary bytes, as given. Valid as long as the dictionary.
  ByteSpan bytes() const noexcept;
  ZstdDictType type() const noexcept;
  /// The id in the dictionary header (ZDICT_getDictID); 0 for raw content.
  std::uint32_t id() const noexcept;

  /// Digests the dictionary for compression at `level` now rather than on
  /// first use (a hint: the frames are the same either way).
  /// Errors: corrupt (not a usable dictionary), resource_exhausted.
  Status prepare_compression(int level) const;
  /// Digests the dictionary for decompression now. Errors: as above.
  Status prepare_decompression() const;

  struct Impl;  ///< Internal (src/codec/zstd_dict.cc).
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit ZstdDictionary(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

/// zstd compression parameters. The level itself is the Compressor's level.
/// Every field is libzstd's ZSTD_c_* parameter of the same meaning; 0 leaves
/// the choice to libzstd. Values are checked against libzstd's bounds when a
/// context is made (invalid_argument naming the parameter).
struct ZstdCompressParams {
  bool write_checksum = false;     ///< ZSTD_c_checksumFlag: 4-byte content checksum per frame
  bool write_content_size = true;  ///< ZSTD_c_contentSizeFlag: decompressed size in the header
  bool write_dict_id = true;       ///< ZSTD_c_dictIDFlag: dictionary id in the header
  int window_log = 0;              ///< ZSTD_c_windowLog
  int hash_log = 0;                ///< ZSTD_c_hashLog
  int chain_log = 0;               ///< ZSTD_c_chainLog
  int search_log = 0;              ///< ZSTD_c_searchLog
  int min_match = 0;               ///< ZSTD_c_minMatch
  int target_length = 0;           ///< ZSTD_c_targetLength
  int strategy = 0;                ///< ZSTD_c_strategy (1 fast .. 9 btultra2)
  int enable_ldm = 0;              ///< ZSTD_c_enableLongDistanceMatching (0 auto, 1 on, 2 off)
  int ldm_hash_log = 0;            ///< ZSTD_c_ldmHashLog
  int ldm_min_match = 0;           ///< ZSTD_c_ldmMinMatch
  int ldm_bucket_size_log = 0;     ///< ZSTD_c_ldmBucketSizeLog
  int ldm_hash_rate_log = 0;       ///< ZSTD_c_ldmHashRateLog
  int threads = 0;                 ///< ZSTD_c_nbWorkers: libzstd's own threads within one frame
  int job_size = 0;                ///< ZSTD_c_jobSize (with threads)
  int overlap_log = 0;             ///< ZSTD_c_overlapLog (with threads)
  int force_max_window = 0;        ///< ZSTD_c_forceMaxWindow (0 or 1)
  int format = 0;                  ///< 0 = zstd1 frames; magicless frames are not supported
  /// Optional dictionary (null: none). Kept alive by every context using it.
  std::shared_ptr<const ZstdDictionary> dictionary;

  bool operator==(const ZstdCompressParams&) const = default;
};

/// Checks every parameter against libzstd's bounds. Errors: invalid_argument
/// naming the first parameter out of bounds (or `format`, unsupported).
Status validate(const ZstdCompressParams& params);

/// zstd decompression parameters.
struct ZstdDecompressParams {
  /// Optional dictionary (null: none). A frame that names another dictionary
  /// (or any, when there is none) fails with `corrupt`.
  std::shared_ptr<const ZstdDictionary> dictionary;
  /// Largest window a frame may ask for, in bytes (python-zstandard's
  /// max_window_size); 0 = libzstd's default (128 MiB, for streamed frames).
  /// A frame over it fails with resource_exhausted before anything is decoded.
  std::uint64_t max_window_size = 0;
  /// 0 = zstd1 frames; magicless frames are not supported.
  int format = 0;

  bool operator==(const ZstdDecompressParams&) const = default;
};

/// Errors: invalid_argument (max_window_size outside 1 KiB .. 2 GiB, format).
Status validate(const ZstdDecompressParams& params);

/// Dictionary training options: libzstd's fastCover trainer
/// (ZDICT_optimizeTrainFromBuffer_fastCover), with python-zstandard's
/// train_dictionary defaults (0 = default). With steps and threads both 0,
/// d = 8, steps = 4 and level = 3: what ZDICT_trainFromBuffer does.
struct ZstdTrainOptions {
  unsigned k = 0;              ///< segment size
  unsigned d = 0;              ///< dmer size
  unsigned f = 0;              ///< log of the frequency array size
  double split_point = 0.0;    ///< share of samples used for training (0: 0.75)
  unsigned accel = 0;          ///< 1..10
  unsigned notifications = 0;  ///< libzstd's messages on stderr (0: none)
  std::uint32_t dict_id = 0;   ///< 0: derived from the content
  int level = 0;               ///< compression level the parameters are tuned for
  unsigned steps = 0;          ///< k values tried
  unsigned threads = 0;        ///< libzstd's own threads while trying parameters
};

/// A trained dictionary and the cover parameters chosen.
struct ZstdTrainResult {
  std::shared_ptr<const ZstdDictionary> dictionary;  ///< type ZstdDictType::full
  unsigned k = 0;
  unsigned d = 0;
};

/// Trains a dictionary of at most `dict_size` bytes from `samples`.
/// Errors: invalid_argument (no samples, dict_size 0, or libzstd's trainer
/// failing, e.g. too few or too small samples: its message is included),
/// resource_exhausted.
Result<ZstdTrainResult> train_zstd_dictionary(std::span<const ByteSpan> samples, std::size_t dict_size,
                                              const ZstdTrainOptions& options = {});

/// The compression parameters libzstd derives from a level for a given input
/// and dictionary size (0: unknown), as ZSTD_getCParams.
struct ZstdLevelParams {
  int window_log, chain_log, hash_log, search_log, min_match, target_length, strategy;
};
ZstdLevelParams zstd_level_params(int level, std::uint64_t source_size = 0, std::size_t dict_size = 0) noexcept;

/// The libzstd version segpack runs with (ZSTD_versionNumber: major*10000 + minor*100 + patch).
unsigned zstd_version_number() noexcept;

}  // namespace segpack
