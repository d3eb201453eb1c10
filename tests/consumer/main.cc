// A consumer of the installed package: find_package(segpack) and link segpack::segpack.
#include <cstdio>
#include <segpack/crc32c.h>

int main() {
  const char text[] = "123456789";
  std::uint32_t c = segpack::crc32c(text, 9);
  if (c != 0xE3069283u) {
    std::printf("crc mismatch %08x\n", c);
    return 1;
  }
  std::printf("roundtrip ok\n");
  return 0;
}
