#include "data/flatgeobuf.hpp"

#include "geo/error.hpp"

#include <flatbuffers/flatbuffer_builder.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <numeric>

namespace plotmap::data::flatgeobuf {
namespace {

static_assert(std::endian::native == std::endian::little, "FlatGeobuf is little-endian; so is every machine plotmap builds on");

constexpr std::array<unsigned char, 8> magic{'f', 'g', 'b', 3, 'f', 'g', 'b', 0}; // version 3.0
constexpr std::uint16_t node_size = 16;

/// The vtable slot of a table's n-th field (FlatBuffers: 4 + 2n).
constexpr flatbuffers::voffset_t slot(int n) { return static_cast<flatbuffers::voffset_t>(4 + 2 * n); }

// Field numbers of the format's schema (header.fbs, feature.fbs).
namespace header_field {
constexpr int name = 0, envelope = 1, geometry_type = 2, columns = 7, features_count = 8, index_node_size = 9, crs = 10;
}
namespace column_field {
constexpr int name = 0, type = 1;
}
namespace crs_field {
constexpr int org = 0, code = 1, name = 2, wkt = 4;
}
namespace geometry_field {
constexpr int ends = 0, xy = 1, type = 6, parts = 7;
}
namespace feature_field {
constexpr int geometry = 0, properties = 1;
}
constexpr std::uint8_t type_unknown = 0, type_point = 1, type_polygon = 3, type_multi_polygon = 6;

/// Position on a Hilbert curve of order 16 of (x, y), both in [0, 65535].
std::uint32_t hilbert(std::uint32_t x, std::uint32_t y) {
    std::uint32_t d = 0;
    for (std::uint32_t s = 1U << 15; s > 0; s >>= 1) {
        const std::uint32_t rx = (x & s) > 0 ? 1 : 0;
        const std::uint32_t ry = (y & s) > 0 ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        if (ry == 0) { // turn the quadrant (the bits above s no longer count)
            if (rx == 1) {
                x = 65535 - x;
                y = 65535 - y;
            }
            std::swap(x, y);
        }
    }
    return d;
}

struct node_item {
    double min_x, min_y, max_x, max_y;
    std::uint64_t offset;
};
static_assert(sizeof(node_item) == 40);

/// [first, last) node of each level of a packed R-tree over `items` leaves, root first
/// (the layout FlatGeobuf readers compute from the feature count and node size).
std::vector<std::pair<std::uint64_t, std::uint64_t>> level_bounds(std::uint64_t items) {
    std::vector<std::uint64_t> per_level{items}; // leaves first
    std::uint64_t n = items, total = items;
    do {
        n = (n + node_size - 1) / node_size;
        total += n;
        per_level.push_back(n);
    } while (n != 1);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> bounds; // leaves first, then up
    std::uint64_t end = total;
    for (const std::uint64_t count : per_level) {
        bounds.emplace_back(end - count, end);
        end -= count;
    }
    return bounds;
}

} // namespace

struct writer::builder {
    flatbuffers::FlatBufferBuilder fbb{1 << 16};
    std::vector<flatbuffers::Offset<void>> parts;
    std::vector<double> xy;
    std::vector<std::uint32_t> ends;
};

writer::writer(std::filesystem::path out, std::string layer, std::vector<column> columns, crs_info crs)
    : out_(std::move(out)), scratch_path_(out_.string() + ".features"), layer_(std::move(layer)), columns_(std::move(columns)),
      crs_(std::move(crs)), fbb_(std::make_unique<builder>()) {
    scratch_.reset(std::fopen(scratch_path_.c_str(), "w+b"));
    if (!scratch_) throw error("cannot write " + scratch_path_.string() + ": " + std::strerror(errno));
    std::setvbuf(scratch_.get(), nullptr, _IOFBF, 1 << 20);
}

writer::~writer() {
    scratch_.reset();
    std::error_code ec;
    std::filesystem::remove(scratch_path_, ec);
}

void writer::write_out(std::FILE* f, const void* bytes, std::size_t size) {
    if (size > 0 && std::fwrite(bytes, 1, size, f) != size) throw error("cannot write " + out_.string() + ": " + std::strerror(errno));
}

namespace {

/// The feature's properties: per non-null column its number (u16), then the value (i64, f64,
/// or u32 length and UTF-8 bytes), little-endian.
void encode_properties(std::string& out, const std::vector<column>& columns, const std::vector<property>& values) {
    out.clear();
    const auto put = [&](const auto& v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
    for (std::size_t i = 0; i < columns.size() && i < values.size(); ++i) {
        const property& v = values[i];
        if (v.null) continue;
        put(static_cast<std::uint16_t>(i));
        switch (columns[i].type) {
        case column_type::integer: put(v.integer); break;
        case column_type::real: put(v.real); break;
        case column_type::text:
            put(static_cast<std::uint32_t>(v.text.size()));
            out.append(v.text);
            break;
        }
    }
}

} // namespace

void writer::add(const geo::multi_polygon& g, const std::vector<property>& properties) {
    auto& b = *fbb_;
    auto& fbb = b.fbb;
    fbb.Clear();
    b.parts.clear();
    for (const geo::polygon& poly : g.polygons) {
        b.xy.clear();
        b.ends.clear();
        for (const geo::ring& r : poly.rings) {
            for (const geo::point& p : r) {
                b.xy.push_back(p.x);
                b.xy.push_back(p.y);
            }
            b.ends.push_back(static_cast<std::uint32_t>(b.xy.size() / 2));
        }
        const auto xy = fbb.CreateVector(b.xy);
        // One ring needs no ends (the reader takes every position as the shell).
        const auto ends = poly.rings.size() > 1 ? fbb.CreateVector(b.ends) : flatbuffers::Offset<flatbuffers::Vector<std::uint32_t>>();
        const auto start = fbb.StartTable();
        if (!ends.IsNull()) fbb.AddOffset(slot(geometry_field::ends), ends);
        fbb.AddOffset(slot(geometry_field::xy), xy);
        fbb.AddElement<std::uint8_t>(slot(geometry_field::type), type_polygon, type_unknown);
        b.parts.emplace_back(fbb.EndTable(start));
    }
    const auto parts = fbb.CreateVector(b.parts);
    const auto start = fbb.StartTable();
    fbb.AddOffset(slot(geometry_field::parts), parts);
    fbb.AddElement<std::uint8_t>(slot(geometry_field::type), type_multi_polygon, type_unknown);
    spool(fbb.EndTable(start), properties, geo::envelope(g));
}

void writer::add(geo::point g, const std::vector<property>& properties) {
    auto& fbb = fbb_->fbb;
    fbb.Clear();
    const std::array<double, 2> xy{g.x, g.y};
    const auto coordinates = fbb.CreateVector(xy.data(), xy.size());
    const auto start = fbb.StartTable();
    fbb.AddOffset(slot(geometry_field::xy), coordinates);
    fbb.AddElement<std::uint8_t>(slot(geometry_field::type), type_point, type_unknown);
    spool(fbb.EndTable(start), properties, geo::bbox{g.x, g.y, g.x, g.y});
}

void writer::spool(std::uint32_t geometry, const std::vector<property>& properties, const geo::bbox& box) {
    auto& fbb = fbb_->fbb;
    encode_properties(properties_, columns_, properties);
    const auto props = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(properties_.data()), properties_.size());
    const auto start = fbb.StartTable();
    fbb.AddOffset(slot(feature_field::geometry), flatbuffers::Offset<void>(geometry));
    fbb.AddOffset(slot(feature_field::properties), props);
    fbb.FinishSizePrefixed(flatbuffers::Offset<void>(fbb.EndTable(start)));
    const void* bytes = fbb.GetBufferPointer();
    const std::size_t size = fbb.GetSize();
    if (std::fwrite(bytes, 1, size, scratch_.get()) != size) {
        throw error("cannot write " + scratch_path_.string() + ": " + std::strerror(errno));
    }
    features_.push_back({scratch_size_, static_cast<std::uint32_t>(size), box});
    scratch_size_ += size;
}

std::int64_t writer::finish() {
    if (std::fflush(scratch_.get()) != 0) throw error("cannot write " + scratch_path_.string() + ": " + std::strerror(errno));
    geo::bbox extent;
    for (const spooled& f : features_) extent.extend(f.box);

    // Hilbert order of the boxes' centres over the whole extent.
    std::vector<std::uint32_t> order(features_.size());
    std::iota(order.begin(), order.end(), 0U);
    if (!features_.empty()) {
        const double width = extent.max_x - extent.min_x, height = extent.max_y - extent.min_y;
        const auto scaled = [](double v, double from, double size) {
            return size > 0 ? static_cast<std::uint32_t>(std::clamp((v - from) / size, 0.0, 1.0) * 65535.0) : 0U;
        };
        std::vector<std::uint32_t> key(features_.size());
        for (std::size_t i = 0; i < features_.size(); ++i) {
            const geo::bbox& b = features_[i].box;
            key[i] = hilbert(scaled((b.min_x + b.max_x) / 2, extent.min_x, width), scaled((b.min_y + b.max_y) / 2, extent.min_y, height));
        }
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return key[a] < key[b]; });
    }

    // The header.
    auto& fbb = fbb_->fbb;
    fbb.Clear();
    const auto name = fbb.CreateString(layer_);
    const std::array<double, 4> envelope{extent.min_x, extent.min_y, extent.max_x, extent.max_y};
    const auto env = features_.empty() ? flatbuffers::Offset<flatbuffers::Vector<double>>() : fbb.CreateVector(envelope.data(), envelope.size());
    std::vector<flatbuffers::Offset<void>> column_tables;
    for (const column& c : columns_) {
        const auto column_name = fbb.CreateString(c.name);
        const auto start = fbb.StartTable();
        fbb.AddOffset(slot(column_field::name), column_name);
        fbb.AddElement<std::uint8_t>(slot(column_field::type), static_cast<std::uint8_t>(c.type), 0);
        column_tables.emplace_back(fbb.EndTable(start));
    }
    const auto cols = fbb.CreateVector(column_tables);
    const auto org = crs_.org.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(crs_.org);
    const auto crs_name = fbb.CreateString(crs_.name);
    const auto wkt = fbb.CreateString(crs_.wkt);
    auto start = fbb.StartTable();
    if (!org.IsNull()) fbb.AddOffset(slot(crs_field::org), org);
    fbb.AddElement<std::int32_t>(slot(crs_field::code), crs_.code, 0);
    fbb.AddOffset(slot(crs_field::name), crs_name);
    fbb.AddOffset(slot(crs_field::wkt), wkt);
    const flatbuffers::Offset<void> crs(fbb.EndTable(start));
    start = fbb.StartTable();
    fbb.AddOffset(slot(header_field::name), name);
    if (!env.IsNull()) fbb.AddOffset(slot(header_field::envelope), env);
    fbb.AddElement<std::uint8_t>(slot(header_field::geometry_type), type_unknown, type_unknown); // points and polygons mix
    fbb.AddOffset(slot(header_field::columns), cols);
    fbb.AddElement<std::uint64_t>(slot(header_field::features_count), features_.size(), 0);
    fbb.AddElement<std::uint16_t>(slot(header_field::index_node_size), features_.empty() ? 0 : node_size, node_size);
    fbb.AddOffset(slot(header_field::crs), crs);
    fbb.FinishSizePrefixed(flatbuffers::Offset<void>(fbb.EndTable(start)));

    // The packed R-tree: leaves (each feature's box and where it starts among the features,
    // in Hilbert order) at the end, each level above them boxing `node_size` of the one below
    // and pointing at its first.
    std::vector<node_item> nodes;
    if (!features_.empty()) {
        const auto bounds = level_bounds(features_.size());
        nodes.resize(bounds.front().second);
        std::uint64_t at = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const spooled& f = features_[order[i]];
            nodes[bounds.front().first + i] = {f.box.min_x, f.box.min_y, f.box.max_x, f.box.max_y, at};
            at += f.size;
        }
        for (std::size_t level = 0; level + 1 < bounds.size(); ++level) {
            std::uint64_t parent = bounds[level + 1].first;
            for (std::uint64_t child = bounds[level].first; child < bounds[level].second; ++parent) {
                node_item n{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), child};
                for (std::uint16_t k = 0; k < node_size && child < bounds[level].second; ++k, ++child) {
                    n.min_x = std::min(n.min_x, nodes[child].min_x);
                    n.min_y = std::min(n.min_y, nodes[child].min_y);
                    n.max_x = std::max(n.max_x, nodes[child].max_x);
                    n.max_y = std::max(n.max_y, nodes[child].max_y);
                }
                nodes[parent] = n;
            }
        }
    }

    // The file: magic, header, index, then the features in Hilbert order from the scratch file
    // (read back a feature at a time: the file cache holds it, the process does not).
    const std::filesystem::path partial = out_.string() + ".partial";
    std::unique_ptr<std::FILE, file_closer> f(std::fopen(partial.c_str(), "wb"));
    if (!f) throw error("cannot write " + out_.string() + ": " + std::strerror(errno));
    std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 22);
    try {
        write_out(f.get(), magic.data(), magic.size());
        write_out(f.get(), fbb.GetBufferPointer(), fbb.GetSize());
        write_out(f.get(), nodes.data(), nodes.size() * sizeof(node_item));
        const int scratch = fileno(scratch_.get());
        std::vector<char> feature;
        for (const std::uint32_t i : order) {
            const spooled& s = features_[i];
            feature.resize(s.size);
            if (pread(scratch, feature.data(), s.size, static_cast<off_t>(s.at)) != static_cast<ssize_t>(s.size)) {
                throw error("cannot read " + scratch_path_.string() + ": " + std::strerror(errno));
            }
            write_out(f.get(), feature.data(), s.size);
        }
        if (std::fflush(f.get()) != 0) throw error("cannot write " + out_.string() + ": " + std::strerror(errno));
        if (std::fclose(f.release()) != 0) throw error("cannot write " + out_.string() + ": " + std::strerror(errno));
        std::filesystem::rename(partial, out_);
    } catch (...) {
        f.reset();
        std::error_code ec;
        std::filesystem::remove(partial, ec);
        throw;
    }
    return static_cast<std::int64_t>(features_.size());
}

} // namespace plotmap::data::flatgeobuf
