#pragma once
// gzip (RFC 1952) decompression with zlib, for tests that check what plotmap compressed.

#include <string>
#include <string_view>

namespace plotmap::test {

/// The bytes a gzip stream holds. @throws std::runtime_error if `in` is not one whole stream.
std::string gunzip(std::string_view in);

} // namespace plotmap::test
