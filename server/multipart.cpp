#include "server/multipart.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"
#include "server/http.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

namespace plotmap::server {
namespace {

/// The file mapped read-only (an empty file maps to an empty view).
class mapped_file {
public:
    explicit mapped_file(const std::filesystem::path& path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw error("cannot read the request body: " + std::string(std::strerror(errno)));
        struct stat st {};
        if (::fstat(fd_, &st) != 0) throw error("cannot read the request body: " + std::string(std::strerror(errno)));
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
            if (p == MAP_FAILED) throw error("cannot map the request body: " + std::string(std::strerror(errno)));
            data_ = static_cast<const char*>(p);
        }
    }
    ~mapped_file() {
        if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
        if (fd_ >= 0) ::close(fd_);
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    [[nodiscard]] std::string_view view() const noexcept { return {data_ == nullptr ? "" : data_, size_}; }

private:
    int fd_ = -1;
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// The value of parameter `key` in "type; a=1; b="x y"" (quotes removed, \-escapes kept simple).
std::optional<std::string> parameter(std::string_view header, std::string_view key) {
    std::size_t at = header.find(';');
    while (at != std::string_view::npos) {
        std::string_view rest = trim(header.substr(at + 1));
        const auto eq = rest.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const std::string_view name = trim(rest.substr(0, eq));
        std::string_view value = trim(rest.substr(eq + 1));
        std::string out;
        std::size_t used = 0;
        if (!value.empty() && value.front() == '"') {
            std::size_t i = 1;
            for (; i < value.size() && value[i] != '"'; ++i) {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                out.push_back(value[i]);
            }
            if (i >= value.size()) return std::nullopt; // unterminated quote
            used = i + 1;
        } else {
            used = std::min(value.find(';'), value.size());
            out = std::string(trim(value.substr(0, used)));
        }
        if (iequals(name, key)) return out;
        const std::size_t consumed = static_cast<std::size_t>(value.data() - header.data()) + used;
        at = header.find(';', consumed);
    }
    return std::nullopt;
}

} // namespace

std::string multipart_boundary(std::string_view content_type) {
    const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (!iequals(type, "multipart/form-data")) {
        throw unsupported_media_type("send the photo as multipart/form-data with a file part and a meta part, not " +
                                     geo::utf8_prefix(std::string(type), 60));
    }
    const auto b = parameter(content_type, "boundary");
    if (!b || b->empty() || b->size() > 70) throw bad_request("multipart/form-data needs a boundary of 1 to 70 characters (RFC 2046)");
    return *b;
}

std::vector<multipart_part> multipart_parts(const std::filesystem::path& file, const std::string& boundary, std::size_t max_parts) {
    const mapped_file mapped(file);
    const std::string_view body = mapped.view();
    const std::string delimiter = "--" + boundary;
    const std::boyer_moore_horspool_searcher next_delimiter(delimiter.begin(), delimiter.end());
    const auto find = [&](std::size_t from) -> std::size_t {
        const auto it = std::search(body.begin() + static_cast<std::ptrdiff_t>(from), body.end(), next_delimiter);
        return it == body.end() ? std::string_view::npos : static_cast<std::size_t>(it - body.begin());
    };
    // The first delimiter starts the body or a line (anything before it is a preamble).
    std::size_t at = find(0);
    while (at != std::string_view::npos && at != 0 && !(at >= 2 && body.substr(at - 2, 2) == "\r\n")) at = find(at + 1);
    if (at == std::string_view::npos) throw bad_request("the multipart body has no part delimited by its boundary");
    std::vector<multipart_part> parts;
    for (;;) {
        std::size_t p = at + delimiter.size();
        if (body.substr(p, 2) == "--") return parts; // the close delimiter
        while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p; // transport padding
        if (body.substr(p, 2) != "\r\n") throw bad_request("the multipart body is malformed after a boundary (byte " + std::to_string(p) + ")");
        p += 2;
        const std::size_t header_end = body.find("\r\n\r\n", p);
        if (header_end == std::string_view::npos || header_end - p > 8192) {
            throw bad_request("a multipart part's headers do not end (or are longer than 8 KiB); was the upload cut short?");
        }
        multipart_part part;
        part.content_type = "text/plain";
        bool form_data = false;
        for (std::size_t line = p; line < header_end;) {
            const std::size_t eol = std::min(body.find("\r\n", line), header_end);
            const std::string_view h = body.substr(line, eol - line);
            const auto colon = h.find(':');
            if (colon != std::string_view::npos) {
                const std::string_view name = trim(h.substr(0, colon));
                const std::string_view value = trim(h.substr(colon + 1));
                if (iequals(name, "content-disposition")) {
                    form_data = iequals(trim(value.substr(0, value.find(';'))), "form-data");
                    if (auto n = parameter(value, "name")) part.name = std::move(*n);
                    part.filename = parameter(value, "filename");
                } else if (iequals(name, "content-type")) {
                    part.content_type = std::string(value);
                }
            }
            line = eol + 2;
        }
        if (!form_data || part.name.empty()) throw bad_request("every multipart part needs Content-Disposition: form-data; name=\"...\"");
        part.offset = header_end + 4;
        // The content ends at CRLF, the delimiter, then "--" or (padding and) CRLF: a line that
        // merely starts with the delimiter's characters is content.
        const auto ends_delimiter = [&](std::size_t d) {
            if (d < part.offset + 2 || body.substr(d - 2, 2) != "\r\n") return false;
            std::size_t after = d + delimiter.size();
            if (body.substr(after, 2) == "--") return true;
            while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
            return body.substr(after, 2) == "\r\n";
        };
        std::size_t end = find(part.offset);
        while (end != std::string_view::npos && !ends_delimiter(end)) end = find(end + 1);
        if (end == std::string_view::npos) {
            throw bad_request("the multipart part \"" + geo::utf8_prefix(part.name, 40) +
                              "\" has no closing boundary: the upload was cut short");
        }
        part.length = end - 2 - part.offset;
        parts.push_back(std::move(part));
        if (parts.size() > max_parts) throw bad_request("the multipart body has more than " + std::to_string(max_parts) + " parts");
        at = end;
    }
}

std::string read_part(const std::filesystem::path& file, const multipart_part& part, std::size_t max_bytes) {
    if (part.length > max_bytes) {
        throw payload_too_large("the " + part.name + " part is " + std::to_string(part.length) + " bytes, more than the " +
                                std::to_string(max_bytes) + " allowed");
    }
    const mapped_file mapped(file);
    return std::string(mapped.view().substr(part.offset, part.length));
}

} // namespace plotmap::server
