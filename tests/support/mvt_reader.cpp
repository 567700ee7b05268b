#include "mvt_reader.hpp"

#include <gdal.h>
#include <cpl_conv.h>
#include <ogr_api.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace plotmap::test {

std::map<std::string, std::vector<decoded_feature>> decode_with_gdal(const std::string& tile_bytes, int z, unsigned x,
                                                                     unsigned y, const std::string& dir) {
    GDALAllRegister();
    const std::filesystem::path path =
        std::filesystem::path(dir) / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".pbf");
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << tile_bytes;
    const std::string name = "MVT:" + path.string();
    GDALDatasetH ds = GDALOpenEx(name.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr) throw std::runtime_error("GDAL cannot open " + name + ": " + CPLGetLastErrorMsg());
    std::map<std::string, std::vector<decoded_feature>> out;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        OGRLayerH layer = GDALDatasetGetLayer(ds, i);
        auto& features = out[OGR_L_GetName(layer)];
        OGR_L_ResetReading(layer);
        while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
            decoded_feature d;
            OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
            for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k) {
                const char* field = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k));
                if (std::string(field) == "mvt_id") {
                    d.id = OGR_F_GetFieldAsInteger64(f, k);
                } else {
                    d.fields[field] = OGR_F_IsFieldSetAndNotNull(f, k) ? OGR_F_GetFieldAsString(f, k) : "";
                }
            }
            if (OGRGeometryH g = OGR_F_GetGeometryRef(f)) {
                char* wkt = nullptr;
                OGR_G_ExportToWkt(g, &wkt);
                d.geometry_wkt = wkt ? wkt : "";
                CPLFree(wkt);
                d.geometry_type = OGR_G_GetGeometryName(g);
                d.valid = OGR_G_IsValid(g) != 0;
            }
            features.push_back(std::move(d));
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    return out;
}

} // namespace plotmap::test
