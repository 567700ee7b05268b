#pragma once
// The coordinate reference systems plotmap accepts and produces (DESIGN §1), and
// transformations between them through PROJ. PROJ objects are per thread.

#include "geo/geometry.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::geo {

/// A supported CRS.
struct crs {
    std::string id;      ///< "EPSG:32647", or "OGC:CRS84"
    std::string uri;     ///< OGC URI, e.g. http://www.opengis.net/def/crs/EPSG/0/32647
    std::string name;    ///< "WGS 84 / UTM zone 47N"
    bool geographic;     ///< degrees (true) or metres (false)
    /// Authority axis order is latitude first (EPSG:4326, EPSG:4240). OGC API output with
    /// crs= uses it; the app API and GeoJSON always use x = lon/easting.
    bool lat_first;
    friend bool operator==(const crs& a, const crs& b) { return a.id == b.id; }
};

/// Every supported CRS, CRS84 first.
[[nodiscard]] const std::vector<crs>& supported_crs();

/// OGC:CRS84 (lon/lat WGS 84), the storage CRS.
[[nodiscard]] const crs& crs84();

/// Finds a CRS by any of its spellings: "EPSG:32647", "epsg:32647", "32647",
/// the OGC http URI, "urn:ogc:def:crs:EPSG::32647", "OGC:CRS84", "CRS84", "EPSG:4326"...
/// @throws bad_request naming the CRS and listing the supported ones.
[[nodiscard]] const crs& find_crs(std::string_view text);

/// The operation PROJ used for a transformation.
struct operation_info {
    std::string name;          ///< e.g. "Inverse of UTM zone 47N + Indian 1975 to WGS 84 (4)"
    double accuracy_m = -1.0;  ///< stated accuracy in metres; 0 for an exact conversion, -1 if unknown
};

/// Transforms x/y (lon/lat or easting/northing, whatever the CRS's axis order) between two
/// supported CRSs. Not thread-safe: use one per thread (transformer_for does).
class transformer {
public:
    transformer(const crs& from, const crs& to);
    ~transformer();
    transformer(const transformer&) = delete;
    transformer& operator=(const transformer&) = delete;

    /// @throws invalid_geometry if PROJ cannot transform the point (e.g. far outside the zone).
    [[nodiscard]] point apply(point p);
    void apply(ring& r);
    void apply(multi_polygon& mp);

    /// The operation used for the last apply() (PROJ may choose per point by area of use).
    [[nodiscard]] operation_info last_operation() const;
    [[nodiscard]] bool identity() const noexcept { return identity_; }

private:
    struct state;
    std::unique_ptr<state> state_;
    bool identity_ = false;
};

/// This thread's cached transformer between two CRSs.
[[nodiscard]] transformer& transformer_for(const crs& from, const crs& to);

} // namespace plotmap::geo
