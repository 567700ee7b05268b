#pragma once
// Mapbox Vector Tile 2.1 encoding (https://github.com/mapbox/vector-tile-spec/tree/master/2.1).
// Geometry comes in already in integer tile coordinates; this file only writes protobuf.

#include <cstdint>
#include <unordered_map>
#include <string>
#include <variant>
#include <vector>

namespace plotmap::tiles {

struct tile_point {
    std::int32_t x = 0;
    std::int32_t y = 0;
    friend bool operator==(const tile_point&, const tile_point&) = default;
};

/// A closed ring: first == last.
using tile_ring = std::vector<tile_point>;

/// rings[0] is the exterior (positive area in tile coordinates, MVT 2.1 §4.3.4.4), the
/// rest are holes (negative area).
struct tile_polygon {
    std::vector<tile_ring> rings;
};

using attribute_value = std::variant<std::string, double, std::int64_t, bool>;

struct attribute {
    std::string key;
    attribute_value value;
};

/// Twice the signed area (surveyor's formula) of a closed ring in tile coordinates.
[[nodiscard]] std::int64_t twice_signed_area(const tile_ring& r) noexcept;

/// One layer of a tile. Keys and values are deduplicated (§4.4).
class layer_builder {
public:
    layer_builder(std::string name, std::uint32_t extent);

    /// A POINT feature (§4.3.5.2).
    void add_point(std::uint64_t id, tile_point p, const std::vector<attribute>& attributes);
    /// A POLYGON feature made of one or more polygons (§4.3.4.4).
    /// @pre every ring is closed, has at least 4 points, and is wound as tile_polygon says.
    void add_polygons(std::uint64_t id, const std::vector<tile_polygon>& polygons, const std::vector<attribute>& attributes);

    [[nodiscard]] bool empty() const noexcept { return features_.empty(); }
    [[nodiscard]] std::size_t feature_count() const noexcept { return feature_count_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// The Layer message (§4.1).
    [[nodiscard]] std::string serialize() const;

private:
    std::vector<std::uint32_t> tags(const std::vector<attribute>& attributes);
    void add_feature(std::uint64_t id, int type, const std::vector<std::uint32_t>& tags,
                     const std::vector<std::uint32_t>& geometry);

    std::string name_;
    std::uint32_t extent_;
    std::unordered_map<std::string, std::uint32_t> key_index_;
    std::vector<std::string> keys_;
    std::unordered_map<attribute_value, std::uint32_t> value_index_;
    std::vector<attribute_value> values_;
    std::string features_; ///< encoded Feature messages, each as field 2
    std::string scratch_;  ///< one Feature being encoded (reused: no allocation per feature)
    std::size_t feature_count_ = 0;
};

/// A Tile message of the non-empty layers given (§4.1).
[[nodiscard]] std::string encode_tile(const std::vector<layer_builder>& layers);

} // namespace plotmap::tiles
