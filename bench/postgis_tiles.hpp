#pragma once
// PostGIS's own tiles for plotmap's "plots" tileset, for the benchmarks that run it side by
// side with plotmap (bench/tiles.cpp, bench/backends.cpp) on the tables bench/common.sh makes.

namespace plotmap::bench {

// PostGIS at its best: a precomputed EPSG:3857 column with a GiST index, one query per tile
// making both layers of plotmap's "plots" tileset (polygons and points, no clustering).
inline constexpr const char* postgis_tile_sql = R"sql(
WITH b AS (SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS env,
                  ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096) AS buf)
SELECT coalesce((SELECT ST_AsMVT(q, 'plots', 4096, 'geom', 'id') FROM (
          SELECT id, code, program, stage, area_m2, adm1, adm2, adm3, budget_year,
                 ST_AsMVTGeom(geom3857, b.env, 4096, 64, true) AS geom
          FROM plots, b WHERE geom3857 && b.buf) q), '') ||
       coalesce((SELECT ST_AsMVT(q, 'pins', 4096, 'geom', 'id') FROM (
          SELECT id, code, program, stage, area_m2, adm1, adm2, adm3, budget_year,
                 ST_AsMVTGeom(loc3857, b.env, 4096, 64, true) AS geom
          FROM plots, b WHERE loc3857 && b.buf) q), '')
)sql";

} // namespace plotmap::bench
