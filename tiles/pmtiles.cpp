#include "tiles/pmtiles.hpp"

#include "geo/error.hpp"
#include "geo/files.hpp"
#include "tiles/tile_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>

namespace plotmap::tiles::pmtiles {
namespace {

constexpr int max_archive_zoom = 26;

void rotate(std::uint64_t n, std::uint64_t& x, std::uint64_t& y, std::uint64_t rx, std::uint64_t ry) {
    if (ry != 0) return;
    if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
    }
    std::swap(x, y);
}

/// Tiles of every zoom below z.
std::uint64_t tiles_below(int z) {
    std::uint64_t total = 0;
    for (int k = 0; k < z; ++k) total += std::uint64_t{1} << (2 * k);
    return total;
}

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

std::uint64_t get_varint(std::string_view bytes, std::size_t& at) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= bytes.size()) throw bad_request("PMTiles directory: a number runs past the end");
        const auto b = static_cast<unsigned char>(bytes[at++]);
        v |= std::uint64_t{b & 0x7fu} << shift;
        if ((b & 0x80) == 0) return v;
    }
    throw bad_request("PMTiles directory: a number longer than 64 bits");
}

template <class T> void put_le(std::string& out, T v, std::size_t width) {
    const auto u = static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view bytes, std::size_t at, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
    return v;
}

std::int32_t e7(double degrees) { return static_cast<std::int32_t>(std::lround(degrees * 1e7)); }
double from_e7(std::uint64_t raw) { return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)) / 1e7; }

} // namespace

std::uint64_t tile_id_of(const geo::tile_id& t) {
    const std::uint64_t n = std::uint64_t{1} << t.z;
    std::uint64_t x = t.x;
    std::uint64_t y = t.y;
    std::uint64_t d = 0;
    for (std::uint64_t s = n / 2; s > 0; s /= 2) {
        const std::uint64_t rx = (x & s) > 0 ? 1 : 0;
        const std::uint64_t ry = (y & s) > 0 ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        rotate(n, x, y, rx, ry);
    }
    return tiles_below(t.z) + d;
}

geo::tile_id tile_of(std::uint64_t id) {
    int z = 0;
    std::uint64_t first = 0;
    while (true) {
        if (z > max_archive_zoom) throw bad_request("PMTiles tile id " + std::to_string(id) + " is beyond zoom 26");
        const std::uint64_t count = std::uint64_t{1} << (2 * z);
        if (id < first + count) break;
        first += count;
        ++z;
    }
    std::uint64_t t = id - first;
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    const std::uint64_t n = std::uint64_t{1} << z;
    for (std::uint64_t s = 1; s < n; s *= 2) {
        const std::uint64_t rx = 1 & (t / 2);
        const std::uint64_t ry = 1 & (t ^ rx);
        rotate(s, x, y, rx, ry);
        x += s * rx;
        y += s * ry;
        t /= 4;
    }
    return {z, static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y)};
}

std::string encode_directory(const std::vector<entry>& entries) {
    std::string out;
    out.reserve(entries.size() * 6 + 8);
    put_varint(out, entries.size());
    std::uint64_t last = 0;
    for (const entry& e : entries) {
        put_varint(out, e.tile_id - last);
        last = e.tile_id;
    }
    for (const entry& e : entries) put_varint(out, e.run_length);
    for (const entry& e : entries) put_varint(out, e.length);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const bool follows = i > 0 && entries[i].offset == entries[i - 1].offset + entries[i - 1].length;
        put_varint(out, follows ? 0 : entries[i].offset + 1);
    }
    return out;
}

std::vector<entry> decode_directory(std::string_view bytes) {
    std::size_t at = 0;
    const std::uint64_t count = get_varint(bytes, at);
    if (count == 0 || count > bytes.size()) throw bad_request("PMTiles directory: " + std::to_string(count) + " entries in " +
                                                              std::to_string(bytes.size()) + " bytes");
    std::vector<entry> out(count);
    std::uint64_t last = 0;
    for (entry& e : out) {
        last += get_varint(bytes, at);
        e.tile_id = last;
    }
    for (entry& e : out) e.run_length = static_cast<std::uint32_t>(get_varint(bytes, at));
    for (entry& e : out) e.length = static_cast<std::uint32_t>(get_varint(bytes, at));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::uint64_t v = get_varint(bytes, at);
        if (v == 0 && i == 0) throw bad_request("PMTiles directory: the first entry follows nothing");
        out[i].offset = v == 0 ? out[i - 1].offset + out[i - 1].length : v - 1;
    }
    return out;
}

std::string encode_header(const header& h) {
    std::string out = "PMTiles";
    out.push_back(3);
    for (const std::uint64_t v : {h.root_offset, h.root_length, h.metadata_offset, h.metadata_length, h.leaves_offset, h.leaves_length,
                                  h.data_offset, h.data_length, h.addressed_tiles, h.tile_entries, h.tile_contents}) {
        put_le(out, v, 8);
    }
    out.push_back(h.clustered ? 1 : 0);
    out.push_back(static_cast<char>(h.internal));
    out.push_back(static_cast<char>(h.tiles));
    out.push_back(static_cast<char>(h.type));
    out.push_back(static_cast<char>(h.min_zoom));
    out.push_back(static_cast<char>(h.max_zoom));
    for (const double v : {h.min_lon, h.min_lat, h.max_lon, h.max_lat}) put_le(out, static_cast<std::uint32_t>(e7(v)), 4);
    out.push_back(static_cast<char>(h.center_zoom));
    put_le(out, static_cast<std::uint32_t>(e7(h.center_lon)), 4);
    put_le(out, static_cast<std::uint32_t>(e7(h.center_lat)), 4);
    return out;
}

header decode_header(std::string_view bytes) {
    if (bytes.size() < header_size || bytes.substr(0, 7) != "PMTiles") throw bad_request("not a PMTiles archive");
    if (bytes[7] != 3) throw bad_request("PMTiles version " + std::to_string(static_cast<int>(bytes[7])) + ", not 3");
    header h;
    std::uint64_t* fields[] = {&h.root_offset,   &h.root_length, &h.metadata_offset, &h.metadata_length, &h.leaves_offset, &h.leaves_length,
                               &h.data_offset,   &h.data_length, &h.addressed_tiles, &h.tile_entries,    &h.tile_contents};
    for (std::size_t i = 0; i < std::size(fields); ++i) *fields[i] = get_le(bytes, 8 + 8 * i, 8);
    h.clustered = bytes[96] == 1;
    h.internal = static_cast<compression>(bytes[97]);
    h.tiles = static_cast<compression>(bytes[98]);
    h.type = static_cast<tile_type>(bytes[99]);
    h.min_zoom = static_cast<unsigned char>(bytes[100]);
    h.max_zoom = static_cast<unsigned char>(bytes[101]);
    h.min_lon = from_e7(get_le(bytes, 102, 4));
    h.min_lat = from_e7(get_le(bytes, 106, 4));
    h.max_lon = from_e7(get_le(bytes, 110, 4));
    h.max_lat = from_e7(get_le(bytes, 114, 4));
    h.center_zoom = static_cast<unsigned char>(bytes[118]);
    h.center_lon = from_e7(get_le(bytes, 119, 4));
    h.center_lat = from_e7(get_le(bytes, 123, 4));
    return h;
}

namespace {

/// `base` with the sections in the order plotmap writes them: header, root directory,
/// metadata, leaf directories, tile data.
header laid_out(header base, bool clustered, const std::string& root, const std::string& metadata, const std::string& leaves,
                std::uint64_t data_length, std::uint64_t addressed, std::uint64_t entries, std::uint64_t contents) {
    base.internal = compression::gzip;
    base.clustered = clustered;
    base.root_offset = header_size;
    base.root_length = root.size();
    base.metadata_offset = base.root_offset + base.root_length;
    base.metadata_length = metadata.size();
    base.leaves_offset = base.metadata_offset + base.metadata_length;
    base.leaves_length = leaves.size();
    base.data_offset = base.leaves_offset + base.leaves_length;
    base.data_length = data_length;
    base.addressed_tiles = addressed;
    base.tile_entries = entries;
    base.tile_contents = contents;
    return base;
}

} // namespace

directories build_directories(const std::vector<entry>& entries) {
    // The root alone if it fits the first read; else leaves of growing size until the root
    // of pointers to them does.
    directories d;
    const auto compress = [](const std::vector<entry>& list) { return gzip(encode_directory(list)); };
    d.root = compress(entries);
    for (std::size_t leaf_size = 4096; header_size + d.root.size() > first_read_size; leaf_size *= 2) {
        d.leaves.clear();
        std::vector<entry> pointers;
        for (std::size_t i = 0; i < entries.size(); i += leaf_size) {
            const std::vector<entry> part(entries.begin() + static_cast<std::ptrdiff_t>(i),
                                          entries.begin() + static_cast<std::ptrdiff_t>(std::min(i + leaf_size, entries.size())));
            const std::string bytes = compress(part);
            pointers.push_back({part.front().tile_id, d.leaves.size(), static_cast<std::uint32_t>(bytes.size()), 0});
            d.leaves += bytes;
        }
        d.root = compress(pointers);
    }
    return d;
}

// ---- writer -------------------------------------------------------------------------------

writer::writer(std::filesystem::path out, header h, std::string metadata)
    : out_(std::move(out)), data_path_(out_.string() + ".data.tmp"), header_(h), metadata_(std::move(metadata)) {
    data_.open(data_path_, std::ios::binary | std::ios::trunc);
    if (!data_) throw error("cannot write " + data_path_.string());
}

writer::~writer() {
    if (!finished_) {
        data_.close();
        std::error_code ignored;
        std::filesystem::remove(data_path_, ignored);
    }
}

void writer::add(std::uint64_t tile_id, std::string_view bytes) {
    if (!entries_.empty() && tile_id <= entries_.back().tile_id + entries_.back().run_length - 1) {
        throw bad_request("PMTiles tiles must come in increasing tile id (" + std::to_string(tile_id) + " after " +
                          std::to_string(entries_.back().tile_id) + ")");
    }
    if (bytes.empty()) throw bad_request("PMTiles cannot hold an empty tile: leave it out");
    ++addressed_;
    const auto key = tile_content_key(bytes);
    const auto found = stored_.find(key);
    if (found != stored_.end() && !entries_.empty()) {
        entry& last = entries_.back();
        if (last.offset == found->second.first && last.tile_id + last.run_length == tile_id) {
            ++last.run_length; // the same bytes as the tile before: one entry for the run
            return;
        }
    }
    entry e{tile_id, 0, static_cast<std::uint32_t>(bytes.size()), 1};
    if (found != stored_.end()) {
        e.offset = found->second.first;
    } else {
        e.offset = data_length_;
        data_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        data_length_ += bytes.size();
        stored_.emplace(key, std::pair{e.offset, e.length});
        ++contents_;
    }
    entries_.push_back(e);
}

header writer::finish() {
    if (entries_.empty()) throw bad_request("no tiles to write: the archive would be empty");
    data_.close();
    if (!data_) throw error("cannot write " + data_path_.string());

    const auto [root, leaves] = build_directories(entries_);
    const std::string metadata = gzip(metadata_);
    const header h = laid_out(header_, true, root, metadata, leaves, data_length_, addressed_, entries_.size(), contents_);

    const std::filesystem::path partial = out_.string() + ".tmp";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        const std::string head = encode_header(h);
        out.write(head.data(), static_cast<std::streamsize>(head.size()));
        out.write(root.data(), static_cast<std::streamsize>(root.size()));
        out.write(metadata.data(), static_cast<std::streamsize>(metadata.size()));
        out.write(leaves.data(), static_cast<std::streamsize>(leaves.size()));
        std::ifstream data(data_path_, std::ios::binary);
        out << data.rdbuf();
        out.flush();
        if (!out) throw error("cannot write " + partial.string());
    }
    geo::publish_file(partial, out_);
    std::filesystem::remove(data_path_);
    finished_ = true;
    return h;
}

// ---- reader -------------------------------------------------------------------------------

reader::reader(const std::filesystem::path& file) : path_(file) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw error("cannot read " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw error("cannot read " + file.string() + ": " + std::strerror(errno));
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ < header_size) throw bad_request(file.string() + " is not a PMTiles archive (too short)");
    header_ = decode_header(read_at(0, header_size));
    for (const auto& [offset, length] : {std::pair{header_.root_offset, header_.root_length},
                                         std::pair{header_.metadata_offset, header_.metadata_length},
                                         std::pair{header_.leaves_offset, header_.leaves_length},
                                         std::pair{header_.data_offset, header_.data_length}}) {
        if (offset > size_ || length > size_ - offset) {
            throw bad_request(file.string() + ": a PMTiles section lies beyond the end of the file (truncated?)");
        }
    }
    if (header_.internal != compression::gzip && header_.internal != compression::none) {
        throw bad_request(file.string() + ": PMTiles directories compressed other than with gzip are not supported");
    }
    metadata_ = header_.metadata_length ? unpack(read_at(header_.metadata_offset, header_.metadata_length)) : "{}";
    read_directory(header_.root_offset, header_.root_length, 0);
}

reader::~reader() {
    if (fd_ >= 0) ::close(fd_);
}

std::string reader::read_at(std::uint64_t offset, std::uint64_t length) const {
    if (offset > size_ || length > size_ - offset) {
        throw bad_request(path_.string() + ": a PMTiles section lies beyond the end of the file (truncated?)");
    }
    std::string out(static_cast<std::size_t>(length), '\0');
    for (std::size_t done = 0; done < out.size();) {
        const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw error("cannot read " + path_.string() + ": " + (n < 0 ? std::strerror(errno) : "it ends early"));
        done += static_cast<std::size_t>(n);
    }
    return out;
}

std::string reader::unpack(std::string bytes) const {
    if (header_.internal == compression::none) return bytes;
    return gunzip(bytes, std::size_t{256} << 20);
}

void reader::read_directory(std::uint64_t offset, std::uint64_t length, int depth) {
    if (depth > 3) throw bad_request(path_.string() + ": PMTiles leaf directories nested too deep");
    for (const entry& e : decode_directory(unpack(read_at(offset, length)))) {
        if (e.run_length == 0) {
            read_directory(header_.leaves_offset + e.offset, e.length, depth + 1);
            continue;
        }
        if (!entries_.empty() && e.tile_id < entries_.back().tile_id + entries_.back().run_length) {
            throw bad_request(path_.string() + ": PMTiles entries out of tile-id order");
        }
        if (e.offset > header_.data_length || e.length > header_.data_length - e.offset) {
            throw bad_request(path_.string() + ": a PMTiles tile lies outside the tile data");
        }
        entries_.push_back(e);
    }
}

std::string reader::bytes_of(const entry& e) const { return read_at(header_.data_offset + e.offset, e.length); }

std::string reader::bytes_of(std::uint64_t tile_id) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), tile_id, [](std::uint64_t v, const entry& e) { return v < e.tile_id; });
    if (it == entries_.begin()) return {};
    --it;
    if (tile_id >= it->tile_id + it->run_length) return {};
    return bytes_of(*it);
}

void reader::copy_data_to(int fd, const std::filesystem::path& to) const {
    loff_t from = static_cast<loff_t>(header_.data_offset);
    for (std::uint64_t left = header_.data_length; left > 0;) {
        const ssize_t n = ::copy_file_range(fd_, &from, fd, nullptr, static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30)), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw error("cannot write " + to.string() + ": " + (n < 0 ? std::strerror(errno) : "the archive ends early"));
        left -= static_cast<std::uint64_t>(n);
    }
}

namespace {

void write_all(int fd, std::string_view bytes, const std::filesystem::path& to) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw error("cannot write " + to.string() + ": " + std::strerror(errno));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace

std::optional<header> patch(const reader& old, const std::filesystem::path& out,
                            const std::vector<std::pair<std::uint64_t, std::string>>& changes, const std::string& metadata) {
    const header& before = old.head();
    std::vector<entry> entries;
    std::string appended;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> added; // content key -> offset
    const auto push = [&](const entry& e) {
        if (e.run_length == 0) return;
        if (!entries.empty()) {
            entry& last = entries.back();
            if (last.offset == e.offset && last.length == e.length && last.tile_id + last.run_length == e.tile_id) {
                last.run_length += e.run_length;
                return;
            }
        }
        entries.push_back(e);
    };
    const auto add_change = [&](const std::pair<std::uint64_t, std::string>& c) {
        if (c.second.empty()) return; // removed
        const auto key = tile_content_key(c.second);
        auto it = added.find(key);
        if (it == added.end()) {
            it = added.emplace(key, before.data_length + appended.size()).first;
            appended += c.second;
        }
        push({c.first, it->second, static_cast<std::uint32_t>(c.second.size()), 1});
    };
    std::size_t k = 0;
    for (const entry& e : old.entries()) {
        for (; k < changes.size() && changes[k].first < e.tile_id; ++k) add_change(changes[k]);
        const std::uint64_t end = e.tile_id + e.run_length;
        std::uint64_t id = e.tile_id;
        for (; k < changes.size() && changes[k].first < end; ++k) {
            push({id, e.offset, e.length, static_cast<std::uint32_t>(changes[k].first - id)});
            add_change(changes[k]);
            id = changes[k].first + 1;
        }
        push({id, e.offset, e.length, static_cast<std::uint32_t>(end - id)});
    }
    for (; k < changes.size(); ++k) add_change(changes[k]);
    if (entries.empty()) throw bad_request("no tiles would be left in " + out.string());

    // Bytes of the old data still used: when too much of it is dead, a whole rewrite is better.
    std::map<std::uint64_t, std::uint32_t> used;
    std::uint64_t addressed = 0;
    for (const entry& e : entries) {
        used.emplace(e.offset, e.length);
        addressed += e.run_length;
    }
    std::uint64_t live_old = 0;
    for (const auto& [offset, length] : used) {
        if (offset < before.data_length) live_old += length;
    }
    if ((before.data_length - live_old) * 4 > before.data_length) return std::nullopt;

    const auto [root, leaves] = build_directories(entries);
    const std::string packed_metadata = gzip(metadata);
    const header h = laid_out(before, false, root, packed_metadata, leaves, before.data_length + appended.size(), addressed,
                              entries.size(), used.size());

    const std::filesystem::path partial = out.string() + ".tmp";
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw error("cannot write " + partial.string() + ": " + std::strerror(errno));
    bool closed = false;
    try {
        write_all(fd, encode_header(h), partial);
        write_all(fd, root, partial);
        write_all(fd, packed_metadata, partial);
        write_all(fd, leaves, partial);
        old.copy_data_to(fd, partial);
        write_all(fd, appended, partial);
        closed = true;
        if (::close(fd) != 0) throw error("cannot write " + partial.string() + ": " + std::strerror(errno));
    } catch (...) {
        if (!closed) ::close(fd);
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        throw;
    }
    geo::publish_file(partial, out);
    return h;
}

} // namespace plotmap::tiles::pmtiles
