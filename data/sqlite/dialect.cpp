#include "data/sqlite/dialect.hpp"

namespace plotmap::data::sqlite {
namespace {

/// Row ids from the R*Tree of `table`.`column` whose boxes meet `box`.
std::string ids(std::string_view table, std::string_view column, const box_sql& box) {
    return "SELECT pkid FROM idx_" + std::string(table) + "_" + std::string(column) + " WHERE xmax >= " + box.min_x + " AND xmin <= " +
           box.max_x + " AND ymax >= " + box.min_y + " AND ymin <= " + box.max_y;
}

class sqlite_dialect final : public dialect {
public:
    // SpatiaLite's R*Tree of a geometry column is the table idx_<table>_<column>, keyed by rowid.
    [[nodiscard]] std::string box_meets(std::string_view alias, std::string_view table, std::string_view column,
                                        const box_sql& box) const override {
        return std::string(alias) + ".ROWID IN (" + ids(table, column, box) + ")";
    }
    // One list of row ids from both R*Trees (an OR of two IN terms may scan the table).
    [[nodiscard]] std::string box_meets_either(std::string_view alias, std::string_view table, std::string_view column_a,
                                               std::string_view column_b, const box_sql& box) const override {
        return std::string(alias) + ".ROWID IN (" + ids(table, column_a, box) + " UNION " + ids(table, column_b, box) + ")";
    }
    [[nodiscard]] std::string holds(std::string_view predicate) const override { return std::string(predicate) + " = 1"; }
    // SQLite's LIKE ignores the case of ASCII letters.
    [[nodiscard]] std::string like_ignoring_case(std::string_view text, std::string_view pattern) const override {
        return std::string(text) + " LIKE " + std::string(pattern) + " ESCAPE '\\'";
    }
    [[nodiscard]] std::string like_exactly(std::string_view text, std::string_view pattern) const override {
        return std::string(text) + " GLOB " + std::string(pattern);
    }
    // GLOB: * any, ? one, [c] a character that would otherwise be special.
    [[nodiscard]] std::string like_pattern(std::string_view like) const override {
        std::string out;
        for (std::size_t i = 0; i < like.size(); ++i) {
            const char c = like[i];
            if (c == '\\' && i + 1 < like.size()) {
                const char next = like[++i];
                if (next == '*' || next == '?' || next == '[') {
                    out += std::string("[") + next + "]";
                } else {
                    out.push_back(next);
                }
            } else if (c == '%') {
                out.push_back('*');
            } else if (c == '_') {
                out.push_back('?');
            } else if (c == '*' || c == '?' || c == '[') {
                out += std::string("[") + c + "]";
            } else {
                out.push_back(c);
            }
        }
        return out;
    }
    [[nodiscard]] std::string month_in_thailand(std::string_view utc_text) const override {
        return "substr(datetime(" + std::string(utc_text) + ", '+7 hours'), 1, 7)";
    }
    // Declared types; SpatiaLite declares a geometry column by its geometry type.
    [[nodiscard]] std::string table_columns_sql() const override {
        return "SELECT name, CASE WHEN upper(type) IN ('POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', "
               "'GEOMETRY', 'GEOMETRYCOLLECTION') THEN 'geometry' WHEN upper(type) LIKE '%INT%' THEN 'integer' WHEN upper(type) IN ('REAL', 'DOUBLE', 'FLOAT') THEN 'real' "
               "WHEN upper(type) = 'BLOB' THEN 'blob' ELSE 'text' END "
               "FROM pragma_table_info(?1) ORDER BY cid";
    }
    // SpatiaLite's ST_Distance with use_ellipsoid = 1.
    [[nodiscard]] std::string geodesic_distance(std::string_view a, std::string_view b) const override {
        return "ST_Distance(" + std::string(a) + ", " + std::string(b) + ", 1)";
    }
};

} // namespace

const dialect& sql_dialect() {
    static const sqlite_dialect d;
    return d;
}

} // namespace plotmap::data::sqlite
