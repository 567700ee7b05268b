#pragma once
// Decodes MVT tiles with GDAL's MVT driver, a decoder plotmap did not write, for tests.

#include <map>
#include <string>
#include <vector>

namespace plotmap::test {

struct decoded_feature {
    long long id = 0;                          ///< the MVT feature id (GDAL's mvt_id field)
    std::map<std::string, std::string> fields; ///< every field as text ("" if unset)
    std::string geometry_wkt;                  ///< in EPSG:3857, as GDAL georeferences it
    std::string geometry_type;                 ///< GDAL's name: POINT, POLYGON, MULTIPOLYGON
    bool valid = true;                         ///< OGR_G_IsValid
};

/// layer name -> features. Writes the bytes to dir/z/x/y.pbf so GDAL georeferences them.
/// @throws std::runtime_error if GDAL cannot open the tile.
std::map<std::string, std::vector<decoded_feature>> decode_with_gdal(const std::string& tile_bytes, int z, unsigned x,
                                                                     unsigned y, const std::string& dir);

} // namespace plotmap::test
