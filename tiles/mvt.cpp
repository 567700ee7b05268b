#include "tiles/mvt.hpp"

#include <protozero/pbf_writer.hpp>

#include <cassert>

namespace plotmap::tiles {
namespace {

// MVT 2.1 §4.3.1: command integers.
constexpr std::uint32_t move_to = 1;
constexpr std::uint32_t line_to = 2;
constexpr std::uint32_t close_path = 7;

constexpr std::uint32_t command(std::uint32_t id, std::uint32_t count) { return (id & 0x7U) | (count << 3U); }

// §4.3.2: parameters are zigzag-encoded deltas.
constexpr std::uint32_t zigzag(std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1U) ^ static_cast<std::uint32_t>(v >> 31);
}

/// Appends one ring as MoveTo, LineTo(n), ClosePath, from the cursor (§4.3.4.4).
void encode_ring(const tile_ring& ring, tile_point& cursor, std::vector<std::uint32_t>& out) {
    assert(ring.size() >= 4 && ring.front() == ring.back());
    const auto delta = [&](const tile_point& p) {
        out.push_back(zigzag(p.x - cursor.x));
        out.push_back(zigzag(p.y - cursor.y));
        cursor = p;
    };
    out.push_back(command(move_to, 1));
    delta(ring.front());
    out.push_back(command(line_to, static_cast<std::uint32_t>(ring.size() - 2)));
    for (std::size_t i = 1; i + 1 < ring.size(); ++i) delta(ring[i]);
    out.push_back(command(close_path, 1));
}

} // namespace

std::int64_t twice_signed_area(const tile_ring& r) noexcept {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i + 1 < r.size(); ++i) {
        sum += std::int64_t{r[i].x} * r[i + 1].y - std::int64_t{r[i + 1].x} * r[i].y;
    }
    return sum;
}

layer_builder::layer_builder(std::string name, std::uint32_t extent) : name_(std::move(name)), extent_(extent) {}

std::vector<std::uint32_t> layer_builder::tags(const std::vector<attribute>& attributes) {
    std::vector<std::uint32_t> out;
    out.reserve(attributes.size() * 2);
    for (const attribute& a : attributes) {
        auto [k, new_key] = key_index_.try_emplace(a.key, static_cast<std::uint32_t>(keys_.size()));
        if (new_key) keys_.push_back(a.key);
        auto [v, new_value] = value_index_.try_emplace(a.value, static_cast<std::uint32_t>(values_.size()));
        if (new_value) values_.push_back(a.value);
        out.push_back(k->second);
        out.push_back(v->second);
    }
    return out;
}

void layer_builder::add_feature(std::uint64_t id, int type, const std::vector<std::uint32_t>& feature_tags,
                                const std::vector<std::uint32_t>& geometry) {
    scratch_.clear();
    {
        protozero::pbf_writer f(scratch_);
        f.add_uint64(1, id);
        f.add_packed_uint32(2, feature_tags.begin(), feature_tags.end());
        f.add_enum(3, type);
        f.add_packed_uint32(4, geometry.begin(), geometry.end());
    }
    protozero::pbf_writer(features_).add_message(2, scratch_);
    ++feature_count_;
}

void layer_builder::add_point(std::uint64_t id, tile_point p, const std::vector<attribute>& attributes) {
    add_feature(id, 1, tags(attributes), {command(move_to, 1), zigzag(p.x), zigzag(p.y)});
}

void layer_builder::add_polygons(std::uint64_t id, const std::vector<tile_polygon>& polygons,
                                 const std::vector<attribute>& attributes) {
    std::vector<std::uint32_t> geometry;
    tile_point cursor;
    for (const tile_polygon& poly : polygons) {
        for (const tile_ring& ring : poly.rings) encode_ring(ring, cursor, geometry);
    }
    if (geometry.empty()) return;
    add_feature(id, 3, tags(attributes), geometry);
}

std::string layer_builder::serialize() const {
    std::string out;
    protozero::pbf_writer layer(out);
    layer.add_uint32(15, 2); // version 2
    layer.add_string(1, name_);
    out += features_;
    for (const std::string& k : keys_) layer.add_string(3, k);
    for (const attribute_value& v : values_) {
        std::string value;
        protozero::pbf_writer w(value);
        if (const auto* s = std::get_if<std::string>(&v)) {
            w.add_string(1, *s);
        } else if (const auto* d = std::get_if<double>(&v)) {
            w.add_double(3, *d);
        } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
            if (*i >= 0) {
                w.add_uint64(5, static_cast<std::uint64_t>(*i));
            } else {
                w.add_sint64(6, *i);
            }
        } else {
            w.add_bool(7, std::get<bool>(v));
        }
        layer.add_message(4, value);
    }
    layer.add_uint32(5, extent_);
    return out;
}

std::string encode_tile(const std::vector<layer_builder>& layers) {
    std::string out;
    protozero::pbf_writer tile(out);
    for (const layer_builder& l : layers) {
        if (!l.empty()) tile.add_message(3, l.serialize());
    }
    return out;
}

} // namespace plotmap::tiles
