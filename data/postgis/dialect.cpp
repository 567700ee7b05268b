#include "data/postgis/dialect.hpp"

namespace plotmap::data::postgis {
namespace {

class postgis_dialect final : public dialect {
public:
    // The column's GiST index answers && (bounding boxes meet).
    [[nodiscard]] std::string box_meets(std::string_view alias, std::string_view /*table*/, std::string_view column,
                                        const box_sql& box) const override {
        return std::string(alias) + "." + std::string(column) + " && ST_MakeEnvelope(" + box.min_x + ", " + box.min_y + ", " + box.max_x +
               ", " + box.max_y + ", 4326)";
    }
    [[nodiscard]] std::string box_meets_either(std::string_view alias, std::string_view table, std::string_view column_a,
                                               std::string_view column_b, const box_sql& box) const override {
        return "(" + box_meets(alias, table, column_a, box) + " OR " + box_meets(alias, table, column_b, box) + ")";
    }
    [[nodiscard]] std::string holds(std::string_view predicate) const override { return std::string(predicate); }
    [[nodiscard]] std::string like_ignoring_case(std::string_view text, std::string_view pattern) const override {
        return std::string(text) + " ILIKE " + std::string(pattern) + " ESCAPE '\\'";
    }
    [[nodiscard]] std::string like_exactly(std::string_view text, std::string_view pattern) const override {
        return std::string(text) + " LIKE " + std::string(pattern) + " ESCAPE '\\'";
    }
    [[nodiscard]] std::string like_pattern(std::string_view like) const override { return std::string(like); }
    [[nodiscard]] std::string month_in_thailand(std::string_view utc_text) const override {
        return "to_char((" + std::string(utc_text) + ")::timestamptz AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM')";
    }
    [[nodiscard]] std::string table_columns_sql() const override {
        return "SELECT column_name, CASE WHEN data_type IN ('bigint', 'integer', 'smallint') THEN 'integer' "
               "WHEN data_type IN ('double precision', 'real', 'numeric') THEN 'real' WHEN data_type = 'bytea' THEN 'blob' "
               "WHEN udt_name = 'geometry' THEN 'geometry' ELSE 'text' END FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position";
    }
    [[nodiscard]] std::string geodesic_distance(std::string_view a, std::string_view b) const override {
        return "ST_Distance(" + std::string(a) + "::geography, " + std::string(b) + "::geography, true)";
    }
};

} // namespace

const dialect& sql_dialect() {
    static const postgis_dialect d;
    return d;
}

} // namespace plotmap::data::postgis
