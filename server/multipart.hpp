#pragma once
// multipart/form-data (RFC 7578) bodies held in a file: where each part's content lies,
// found without copying the body into memory (the file is mapped).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::server {

struct multipart_part {
    std::string name;                    ///< Content-Disposition name
    std::optional<std::string> filename; ///< Content-Disposition filename, if any
    std::string content_type;            ///< "text/plain" when the part says none
    std::uint64_t offset = 0;            ///< of its content in the file
    std::uint64_t length = 0;
};

/// The boundary of a `multipart/form-data; boundary=...` Content-Type.
/// @throws unsupported_media_type for another media type, bad_request for a missing or
///         malformed boundary.
[[nodiscard]] std::string multipart_boundary(std::string_view content_type);

/// The parts of the multipart body in `file`, in order; at most `max_parts`.
/// @throws bad_request naming what is malformed (no closing delimiter: a truncated upload).
[[nodiscard]] std::vector<multipart_part> multipart_parts(const std::filesystem::path& file, const std::string& boundary,
                                                          std::size_t max_parts = 16);

/// A part's content read into memory. @throws payload_too_large above `max_bytes`.
[[nodiscard]] std::string read_part(const std::filesystem::path& file, const multipart_part& part, std::size_t max_bytes);

} // namespace plotmap::server
