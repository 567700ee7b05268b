#pragma once
// lon/lat geometry to integer tile coordinates: project (Web Mercator), clip to the tile
// plus a buffer, optionally simplify, snap to the grid, and drop what degenerates.

#include "geo/geometry.hpp"
#include "geo/tile_math.hpp"
#include "tiles/mvt.hpp"

#include <optional>
#include <vector>

namespace plotmap::tiles {

struct tile_frame {
    geo::tile_id tile;
    std::uint32_t extent = 4096;  ///< tile units per side (MVT default)
    std::uint32_t buffer = 64;    ///< tile units kept around the tile so strokes join across tiles
};

/// The lon/lat box a frame covers, buffer included (for the database query).
[[nodiscard]] geo::bbox frame_bounds_lonlat(const tile_frame& f);

/// A point in tile units (not yet rounded).
[[nodiscard]] geo::point to_tile_units(const tile_frame& f, geo::point lonlat);

/// The point in tile coordinates, or nullopt when it lies outside tile + buffer.
[[nodiscard]] std::optional<tile_point> to_tile_point(const tile_frame& f, geo::point lonlat);

struct polygon_options {
    /// Douglas-Peucker tolerance in tile units; 0 keeps every vertex that survives snapping
    /// (what plots use, so that neighbours sharing an edge stay sharp, with no gaps).
    double simplify_tolerance = 0.0;
};

/// Clips, simplifies and snaps a lon/lat multipolygon. Rings that collapse (fewer than 4
/// points or zero area after snapping) or self-intersect after snapping are dropped; a
/// polygon whose exterior is dropped is dropped whole. Exteriors come out with positive
/// area, holes negative (MVT 2.1 §4.3.4.4).
[[nodiscard]] std::vector<tile_polygon> to_tile_polygons(const tile_frame& f, const geo::multi_polygon& lonlat,
                                                         const polygon_options& options = {});

/// Sutherland-Hodgman clip of a closed ring to [min, max]² (exposed for tests).
[[nodiscard]] std::vector<geo::point> clip_ring(const std::vector<geo::point>& ring, double min, double max);

/// Douglas-Peucker on a closed ring, keeping the first point (exposed for tests).
[[nodiscard]] std::vector<geo::point> simplify_ring(const std::vector<geo::point>& ring, double tolerance);

/// True if two non-adjacent edges of the closed ring cross or touch (exposed for tests).
[[nodiscard]] bool self_intersects(const tile_ring& ring);

} // namespace plotmap::tiles
