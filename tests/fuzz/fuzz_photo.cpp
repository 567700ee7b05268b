// libFuzzer target: the parsers a photo upload and a photo download go through, on
// arbitrary bytes. The first line is a Content-Type (for the multipart boundary) or a Range
// header; the rest is the body: split into multipart parts (from a file, as uploads are),
// and cut down to a JPEG without metadata. Errors must be plotmap's own exceptions (which
// become 4xx answers); a crash, sanitizer report or other exception is a finding.

#include "data/images.hpp"
#include "geo/error.hpp"
#include "server/http.hpp"
#include "server/multipart.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace plotmap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto nl = in.find('\n');
    const std::string first(in.substr(0, nl));
    const std::string body(nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1));

    static const std::filesystem::path file = std::filesystem::temp_directory_path() / ("fuzz_photo-" + std::to_string(::getpid()));
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    try {
        const std::string boundary = server::multipart_boundary(first);
        for (const auto& part : server::multipart_parts(file, boundary)) {
            if (part.offset + part.length > body.size()) std::abort();
            (void)server::read_part(file, part, 1 << 20);
        }
    } catch (const error&) {
    }
    try {
        (void)data::images::strip_jpeg_metadata(body, static_cast<int>(body.size() % 9));
    } catch (const error&) {
    }
    server::request req;
    req.method = "GET";
    req.headers.emplace_back("range", first);
    if (body.size() % 2 == 1) req.headers.emplace_back("if-range", "\"tag\"");
    server::response res;
    res.set("ETag", "\"tag\"");
    res.body_file = "x";
    server::apply_range(req, res, body.size());
    if (res.status == 206 && (res.body_offset + res.body_length.value_or(0) > body.size() || res.body_length.value_or(0) == 0)) std::abort();
    return 0;
}
