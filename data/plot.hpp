#pragma once
// A plot record (DESIGN §1) as the store holds it: lon/lat geometry (EPSG:4326), areas in m².

#include "geo/geometry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::data {

/// Title-deed kinds: chanote โฉนด, ns3k น.ส.3ก, ns3 น.ส.3, spk401 ส.ป.ก.4-01.
inline const std::vector<std::string> deed_types{"chanote", "ns3k", "ns3", "spk401", "other", "none"};
/// How a pin was placed.
inline const std::vector<std::string> pin_sources{"gps", "map", "typed", "import"};

struct plot {
    std::int64_t id = 0;
    std::string uid;
    std::string code;
    std::string program;
    std::optional<std::string> name;
    std::optional<std::string> owner_name;   ///< personal data
    std::optional<std::string> owner_phone;  ///< personal data
    std::optional<std::int64_t> village_no;
    std::optional<std::string> notes;
    std::string deed_type = "none";
    std::optional<std::string> deed_no;      ///< personal data
    std::optional<double> declared_area_m2;
    std::optional<geo::point> pin;
    std::optional<double> pin_accuracy_m;
    std::optional<std::string> pin_source;
    std::optional<geo::multi_polygon> boundary;
    /// Where the plot is drawn as a point: the pin, or a point inside the boundary.
    std::optional<geo::point> location;
    std::optional<double> area_m2;            ///< geodesic, from the boundary
    std::optional<double> perimeter_m;        ///< geodesic, from the boundary
    std::optional<std::string> adm1;
    std::optional<std::string> adm2;
    std::optional<std::string> adm3;
    std::string stage;
    std::optional<std::string> stage_changed_at;
    std::optional<std::int64_t> budget_year;  ///< Common Era
    std::int64_t version = 0;
    std::string created_at;
    std::optional<std::string> created_by;
    std::string updated_at;
    std::optional<std::string> updated_by;
    std::optional<std::string> deleted_at;
    /// Verification (data/review.hpp): unchecked, submitted, approved or needs_fix; when it got
    /// there; who submitted it last (an officer never approves their own submission).
    std::string review_state = "unchecked";
    std::optional<std::string> review_changed_at;
    std::optional<std::string> submitted_by;

    // Filled on reads for display; not stored on the plot row.
    std::optional<std::string> adm1_name;
    std::optional<std::string> adm2_name;
    std::optional<std::string> adm3_name;
    std::int64_t photo_count = 0;                  ///< live photos
    std::optional<std::string> latest_photo;        ///< "/api/v1/photos/{id}/{sha256}" of the latest photo (personal)
    std::optional<std::string> latest_public_photo; ///< the same for the latest photo an admin made public
};

/// One version in a plot's history.
struct history_entry {
    std::int64_t version = 0;
    std::string action;       ///< create, update, delete, restore
    std::string changed_at;
    std::optional<std::string> changed_by;
    std::string changes_json; ///< {"field": [old, new], ...}
    std::optional<std::string> details_json; ///< {"input_crs", "operation", "accuracy_m", "repairs"} when relevant
};

/// A subdistrict's codes and Thai names, as suggested for a location.
struct admin_match {
    std::string adm1, adm2, adm3;
    std::string adm1_name, adm2_name, adm3_name;
};

} // namespace plotmap::data
