# Finds segpack's system libraries through pkg-config. Used both by the build
# and by the installed segpackConfig.cmake (a static library's consumers must
# link its dependencies too). Sets SEGPACK_PRIVATE_DEPS and SEGPACK_HAVE_ISAL.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SEGPACK_ZSTD REQUIRED IMPORTED_TARGET GLOBAL libzstd)
pkg_check_modules(SEGPACK_DEFLATE REQUIRED IMPORTED_TARGET GLOBAL libdeflate)
pkg_check_modules(SEGPACK_BROTLIENC REQUIRED IMPORTED_TARGET GLOBAL libbrotlienc)
pkg_check_modules(SEGPACK_BROTLIDEC REQUIRED IMPORTED_TARGET GLOBAL libbrotlidec)
pkg_check_modules(SEGPACK_LZMA REQUIRED IMPORTED_TARGET GLOBAL liblzma)
pkg_check_modules(SEGPACK_ZLIB REQUIRED IMPORTED_TARGET GLOBAL zlib)
set(SEGPACK_PRIVATE_DEPS
  PkgConfig::SEGPACK_ZSTD PkgConfig::SEGPACK_DEFLATE PkgConfig::SEGPACK_BROTLIENC
  PkgConfig::SEGPACK_BROTLIDEC PkgConfig::SEGPACK_LZMA PkgConfig::SEGPACK_ZLIB)
set(SEGPACK_HAVE_ISAL OFF)
if(NOT DEFINED SEGPACK_WITH_ISAL OR SEGPACK_WITH_ISAL)
  pkg_check_modules(SEGPACK_ISAL IMPORTED_TARGET GLOBAL libisal)
  if(SEGPACK_ISAL_FOUND)
    set(SEGPACK_HAVE_ISAL ON)
    list(APPEND SEGPACK_PRIVATE_DEPS PkgConfig::SEGPACK_ISAL)
  endif()
endif()
