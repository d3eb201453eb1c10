# ISA-specific kernels: the target architecture, and the one function that
# adds a kernel source to the library.
#
# A kernel lives in src/<feature>/kernels/ (the library's source glob skips
# that folder) and is the only file built with its ISA flags, and only when
# the build targets its architecture; at run time the feature's dispatcher
# calls it only after the CPU check (src/common/cpu.cc) says it may.

set(SEGPACK_ARCH_X86 OFF)
set(SEGPACK_ARCH_ARM64 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86)$")
  set(SEGPACK_ARCH_X86 ON)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(SEGPACK_ARCH_ARM64 ON)
endif()

# segpack_add_kernel(<target> <source> [ARCH x86|arm64] [FLAGS <flag>...] [IF <variable>])
#   Adds <source> to <target>, compiled with FLAGS, when the build targets ARCH
#   (any architecture when ARCH is not given) and <variable> is true (when IF
#   is given, e.g. a dependency that was found).
function(segpack_add_kernel target source)
  cmake_parse_arguments(PARSE_ARGV 2 KERNEL "" "ARCH;IF" "FLAGS")
  if(KERNEL_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "segpack_add_kernel: unexpected arguments ${KERNEL_UNPARSED_ARGUMENTS}")
  endif()
  if(KERNEL_ARCH STREQUAL "x86")
    if(NOT SEGPACK_ARCH_X86)
      return()
    endif()
  elseif(KERNEL_ARCH STREQUAL "arm64")
    if(NOT SEGPACK_ARCH_ARM64)
      return()
    endif()
  elseif(KERNEL_ARCH)
    message(FATAL_ERROR "segpack_add_kernel: unknown ARCH '${KERNEL_ARCH}' (x86 or arm64)")
  endif()
  if(KERNEL_IF AND NOT ${KERNEL_IF})
    return()
  endif()
  get_filename_component(path "${source}" ABSOLUTE)
  target_sources(${target} PRIVATE "${path}")
  if(KERNEL_FLAGS)
    set_source_files_properties("${path}" PROPERTIES COMPILE_OPTIONS "${KERNEL_FLAGS}")
  endif()
endfunction()
