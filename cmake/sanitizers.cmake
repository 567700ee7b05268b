# The sanitizer configuration (scripts/test.sh builds it in build/sanitize): every target of
# the project with AddressSanitizer and UndefinedBehaviorSanitizer, any report fatal; with
# PLOTMAP_BUILD_FUZZ also libFuzzer's coverage instrumentation, so that the same build runs
# the unit and end-to-end tests and the fuzz targets.
if(PLOTMAP_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PLOTMAP_BUILD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  set(PLOTMAP_SANITIZE ON)
endif()
if(PLOTMAP_SANITIZE)
  set(plotmap_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${plotmap_sanitizers})
  add_link_options(${plotmap_sanitizers})
  if(PLOTMAP_BUILD_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()
