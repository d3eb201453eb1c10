// One named test per class of bad HTTP range response (multipart/byteranges
// bodies, Content-Range values): each is rejected, never turned into bytes.
#include <gtest/gtest.h>

#include <string>

#include "segpack/remote.h"
#include "test_util.h"

namespace segpack {
namespace {

constexpr const char* kCt = "multipart/byteranges; boundary=XYZ";

std::string part(std::uint64_t a, const std::string& data) {
  return "--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes " + std::to_string(a) + "-" +
         std::to_string(a + data.size() - 1) + "/100\r\n\r\n" + data + "\r\n";
}

const std::string kGood = part(0, "0123456789") + part(50, "abc") + "--XYZ--";

std::string replace(const std::string& from, const std::string& to) {
  std::string s = kGood;
  s.replace(s.find(from), from.size(), to);
  return s;
}

ErrorCode parse(const std::string& body, std::string_view ct = kCt, MultipartLimits limits = {}) {
  auto r = parse_multipart_byteranges(Buffer::from_vector(testing::bytes_of(body)), ct, limits);
  return r.ok() ? ErrorCode::ok : r.status().code();
}

TEST(MultipartMalformed, GoodBodyParses) { EXPECT_EQ(parse(kGood), ErrorCode::ok); }
TEST(MultipartMalformed, NoDelimiter) { EXPECT_EQ(parse("just text"), ErrorCode::corrupt); }
TEST(MultipartMalformed, DelimiterNotAtLineStart) { EXPECT_EQ(parse("x--XYZ\r\n"), ErrorCode::corrupt); }
TEST(MultipartMalformed, TruncatedBody) { EXPECT_EQ(parse(kGood.substr(0, kGood.size() - 12)), ErrorCode::corrupt); }
TEST(MultipartMalformed, NoClosingDelimiter) { EXPECT_EQ(parse(part(0, "0123")), ErrorCode::corrupt); }
TEST(MultipartMalformed, DataLongerThanItsRange) {
  EXPECT_EQ(parse(replace("0-9/100", "0-8/100")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, DataShorterThanItsRange) {
  EXPECT_EQ(parse(replace("0-9/100", "0-10/100")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, LengthPastTheBody) {
  EXPECT_EQ(parse(replace("0-9/100", "0-18446744073709551613/18446744073709551615")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, NoContentRange) { EXPECT_EQ(parse(replace("Content-Range", "X-Range")), ErrorCode::corrupt); }
TEST(MultipartMalformed, UnsatisfiedRange) {
  EXPECT_EQ(parse(replace("bytes 0-9/100", "bytes */100")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, BadContentRange) {
  EXPECT_EQ(parse(replace("bytes 0-9/100", "bytes 9-0/100")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, HeaderLineWithoutColon) {
  EXPECT_EQ(parse(replace("Content-Type: application/octet-stream", "garbage")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, HeadersNotTerminated) {
  EXPECT_EQ(parse("--XYZ\r\nContent-Range: bytes 0-1/2"), ErrorCode::corrupt);
}
TEST(MultipartMalformed, BadDelimiterLine) {
  EXPECT_EQ(parse(replace("--XYZ\r\nContent-Type", "--XYZjunk\r\nContent-Type")), ErrorCode::corrupt);
}
TEST(MultipartMalformed, TooManyParts) {
  EXPECT_EQ(parse(kGood, kCt, {.max_parts = 1}), ErrorCode::resource_exhausted);
}
TEST(MultipartMalformed, TooManyHeaderLines) {
  EXPECT_EQ(parse(kGood, kCt, {.max_header_lines = 1}), ErrorCode::resource_exhausted);
}
TEST(MultipartMalformed, NotMultipart) { EXPECT_EQ(parse(kGood, "text/plain"), ErrorCode::invalid_argument); }
TEST(MultipartMalformed, NoBoundary) { EXPECT_EQ(parse(kGood, "multipart/byteranges"), ErrorCode::invalid_argument); }

}  // namespace
}  // namespace segpack
