// Fuzz target: zstd dictionaries from untrusted bytes, and frames decoded with
// them.
//
// Input layout: type byte (value % 3 = automatic, raw content, full), u16le
// dictionary length + the dictionary bytes (a length past the end takes the
// rest), then one zstd input (frames, or anything).
//
// Oracles: any input ends in a clean Status; decoding with the dictionary
// alone and in a batch agree; a sample compressed with the dictionary either
// fails as `corrupt` (a dictionary libzstd cannot use) or decodes back to
// itself with the same dictionary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/zstd.h"

using namespace segpack;

namespace {

constexpr std::size_t kBudget = 1 << 20;

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto type = static_cast<ZstdDictType>(data[0] % 3);
  std::size_t len = data[1] | static_cast<std::size_t>(data[2]) << 8;
  if (len > size - 3) len = size - 3;
  const std::vector<std::uint8_t> dict_bytes(data + 3, data + 3 + len);
  const std::vector<std::uint8_t> frame(data + 3 + len, data + size);  // exactly sized: ASan sees over-reads

  auto dict = ZstdDictionary::make(ByteSpan(dict_bytes.data(), dict_bytes.size()), type);
  require(dict.ok());  // nothing is parsed when a dictionary is made
  ZstdDecompressParams dp;
  dp.dictionary = *dict;

  DecompressOptions opts;
  opts.max_output = kBudget;
  auto alone = decompress(Codec::zstd, ByteSpan(frame.data(), frame.size()), opts, dp);
  BatchOptions bo;
  bo.parallel.threads = 1;
  bo.limits.max_output_size = kBudget;
  bo.limits.max_item_size = kBudget;
  const ByteSpan one[] = {ByteSpan(frame.data(), frame.size())};
  auto batch = decompress_batch(one, Codec::zstd, {}, bo, dp);
  if (alone.ok() && batch.ok()) {
    const ByteSpan got = (*batch)[0];
    require(got.size() == alone->size() && std::equal(got.begin(), got.end(), alone->begin()));
  }

  static const std::vector<std::uint8_t> sample = [] {
    std::vector<std::uint8_t> s;
    const char* text = "{\"id\": 12345, \"type\": \"skeleton\", \"tags\": [\"proofread\", \"soma\"]}\n";
    while (s.size() < 2000) {
      for (const char* p = text; *p; ++p) s.push_back(static_cast<std::uint8_t>(*p));
    }
    return s;
  }();
  ZstdCompressParams cp;
  cp.dictionary = *dict;
  auto packed = compress(Codec::zstd, ByteSpan(sample.data(), sample.size()), 1, cp);
  if (!packed.ok()) {
    require(packed.status().code() == ErrorCode::corrupt);
    return 0;
  }
  auto back = decompress(Codec::zstd, ByteSpan(packed->data(), packed->size()), {}, dp);
  if (back.ok()) {
    require(*back == sample);
  } else {
    // libzstd checks a dictionary's tables differently when compressing and
    // decoding: a decoder may refuse what the encoder used, never decode it wrong.
    require(back.status().code() == ErrorCode::corrupt);
  }
  return 0;
}
