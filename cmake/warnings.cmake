# One warning list for every target of the project (cf. libosmium's OSMIUM_WARNING_OPTIONS).
add_library(plotmap_warnings INTERFACE)
target_compile_options(plotmap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  # -Wnull-dereference is left out: at -O2 it fires inside Boost.Asio's inlined scheduler.
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation
  $<$<BOOL:${PLOTMAP_WERROR}>:-Werror>)
