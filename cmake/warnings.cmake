# One warning list for every target of the project (cf. libosmium's OSMIUM_WARNING_OPTIONS).
add_library(plotmap_warnings INTERFACE)
target_compile_options(plotmap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation
  $<$<BOOL:${PLOTMAP_WERROR}>:-Werror>)
