// CQL2 text and JSON compiled to SQL and run on a real SpatiaLite demo database: every
// operator's answer equals a hand-written SQL count on the same file; errors name where.

#include "data/cql2.hpp"
#include "data/plot_store.hpp"
#include "data/database.hpp"
#include "fixture_db.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace plotmap;
using namespace plotmap::data;

namespace {

class cql2_filters : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir();
        path = new std::filesystem::path(test::demo_database(*dir, 400));
    }
    static void TearDownTestSuite() {
        delete path;
        delete dir;
    }

    connection conn{path->string(), connection::mode::read_only};

    std::int64_t sql_count(const std::string& where) { return conn.scalar_int("SELECT count(*) FROM plots p WHERE " + where); }

    std::int64_t filter_count(const std::string& filter, cql2::language lang = cql2::language::text,
                              const geo::crs& crs = geo::crs84(), bool boundary = true) {
        const cql2::sql_filter f = cql2::compile(filter, lang, plot_filter_target(boundary, test::fixture_backend()), crs);
        statement st = conn.prepare("SELECT count(*) FROM plots p WHERE " + f.sql);
        bind_filter(st, f);
        return st.step() ? st.int64(0) : -1;
    }

    /// The message of the error compiling `filter`, or "" if it compiled.
    static std::string failure(const std::string& filter, cql2::language lang = cql2::language::text) {
        try {
            (void)cql2::compile(filter, lang, plot_filter_target(true, test::fixture_backend()), geo::crs84());
        } catch (const cql2::error& e) {
            return e.what();
        }
        return "";
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::filesystem::path* path = nullptr;
};

TEST_F(cql2_filters, comparisons_and_logic_match_sql) {
    const std::int64_t complete = sql_count("stage = 'complete'");
    ASSERT_GT(complete, 0);
    EXPECT_EQ(filter_count("stage = 'complete'"), complete);
    EXPECT_EQ(filter_count("'complete' = stage"), complete);
    EXPECT_EQ(filter_count("stage <> 'complete'"), sql_count("stage <> 'complete'"));
    EXPECT_EQ(filter_count("budget_year >= 2024 and program = 'HLM'"), sql_count("budget_year >= 2024 AND program = 'HLM'"));
    EXPECT_EQ(filter_count("2024 <= budget_year"), sql_count("budget_year >= 2024"));
    EXPECT_EQ(filter_count("stage = 'complete' OR (budget_year < 2024 AND NOT program = 'CLM')"),
              sql_count("stage = 'complete' OR (budget_year < 2024 AND NOT program = 'CLM')"));
    EXPECT_EQ(filter_count("declared_area_m2 > 10000.5"), sql_count("declared_area_m2 > 10000.5"));
    EXPECT_EQ(filter_count("village_no = 9"), sql_count("village_no = 9"));
}

TEST_F(cql2_filters, like_between_in_and_null_match_sql) {
    const std::int64_t province = sql_count("adm1 = '46'");
    EXPECT_EQ(filter_count("code LIKE '46%'"), sql_count(test::per_backend("code GLOB '46*'", "code ~ '^46'")));
    EXPECT_EQ(filter_count("code LIKE '46____-0001'"),
              sql_count(test::per_backend("code GLOB '46' || replace('....', '.', '?') || '-0001'", "code ~ '^46....-0001$'")));
    EXPECT_EQ(filter_count("name LIKE '%หมู่ 9%'"), sql_count(test::per_backend("name GLOB '*หมู่ 9*'", "name ~ 'หมู่ 9'")));
    // LIKE is case-sensitive, as CQL2 says (SQLite's own LIKE is not).
    EXPECT_EQ(filter_count("program LIKE 'hlm'"), 0);
    EXPECT_EQ(filter_count("program LIKE 'HLM'"), sql_count("program = 'HLM'"));
    EXPECT_EQ(filter_count("program ILIKE 'hlm'"), sql_count("program = 'HLM'"));
    EXPECT_EQ(filter_count("code NOT LIKE '46%'"), sql_count(test::per_backend("NOT code GLOB '46*'", "NOT code ~ '^46'")));
    EXPECT_EQ(filter_count("budget_year BETWEEN 2023 AND 2024"), sql_count("budget_year BETWEEN 2023 AND 2024"));
    EXPECT_EQ(filter_count("budget_year NOT BETWEEN 2023 AND 2024"), sql_count("budget_year NOT BETWEEN 2023 AND 2024"));
    EXPECT_EQ(filter_count("stage IN ('digging', 'planting')"), sql_count("stage IN ('digging', 'planting')"));
    EXPECT_EQ(filter_count("adm1 NOT IN ('46')"), sql_count("adm1 <> '46'"));
    EXPECT_EQ(filter_count("adm1 IN ('46')"), province);
    EXPECT_EQ(filter_count("geometry IS NULL"), sql_count("boundary IS NULL"));
    EXPECT_EQ(filter_count("name IS NOT NULL"), sql_count("name IS NOT NULL"));
}

TEST_F(cql2_filters, times_and_dates_compare_with_the_stored_utc_times) {
    statement pick = conn.prepare("SELECT updated_at FROM plots ORDER BY updated_at LIMIT 1 OFFSET 200");
    ASSERT_TRUE(pick.step());
    const std::string mid(pick.text(0));
    EXPECT_EQ(filter_count("updated_at >= TIMESTAMP('" + mid + "')"), sql_count("updated_at >= '" + mid + "'"));
    EXPECT_EQ(filter_count("updated_at < DATE('" + mid.substr(0, 10) + "')"), sql_count("substr(updated_at, 1, 10) < '" + mid.substr(0, 10) + "'"));
    EXPECT_EQ(filter_count("stage_changed_at BETWEEN TIMESTAMP('2020-01-01T00:00:00Z') AND TIMESTAMP('2100-01-01T00:00:00.5Z')"),
              sql_count("stage_changed_at IS NOT NULL"));
}

TEST_F(cql2_filters, spatial_functions_use_exact_geometry_in_the_filter_crs) {
    const std::string box = "BuildMbr(100, 14, 104, 17, 4326)";
    // SpatiaLite's predicates answer 1 (or -1 when they cannot tell), PostGIS's a boolean.
    const std::string is_true = test::per_backend(" = 1", "");
    const std::int64_t expected = sql_count("ST_Intersects(boundary, " + box + ")" + is_true);
    ASSERT_GT(expected, 0);
    EXPECT_EQ(filter_count("S_INTERSECTS(geometry, BBOX(100, 14, 104, 17))"), expected);
    EXPECT_EQ(filter_count("s_intersects(BBOX(100, 14, 104, 17), geometry)"), expected);
    EXPECT_EQ(filter_count("S_INTERSECTS(geometry, POLYGON((100 14, 104 14, 104 17, 100 17, 100 14)))"), expected);
    EXPECT_EQ(filter_count("NOT S_INTERSECTS(geometry, BBOX(100, 14, 104, 17))"), sql_count("NOT (boundary IS NOT NULL AND ST_Intersects(boundary, " + box + ")" + is_true + ")") );
    EXPECT_EQ(filter_count("S_DISJOINT(geometry, BBOX(100, 14, 104, 17))"), sql_count("boundary IS NOT NULL AND ST_Disjoint(boundary, " + box + ")" + is_true));
    EXPECT_EQ(filter_count("S_WITHIN(geometry, BBOX(100, 14, 104, 17))"), sql_count("ST_Within(boundary, " + box + ")" + is_true));
    // EPSG:4326 is latitude first; UTM 47N in metres.
    EXPECT_EQ(filter_count("S_INTERSECTS(geometry, BBOX(14, 100, 17, 104))", cql2::language::text, geo::find_crs("EPSG:4326")), expected);
    EXPECT_EQ(filter_count("S_INTERSECTS(geometry, POLYGON((14 100, 14 104, 17 104, 17 100, 14 100)))", cql2::language::text,
                           geo::find_crs("EPSG:4326")),
              expected);
    const std::int64_t pins = sql_count("ST_Intersects(location, BuildMbr(102.3, 15.9, 103.3, 16.9, 4326))" + is_true);
    EXPECT_EQ(filter_count("S_INTERSECTS(geometry, POLYGON((102.3 15.9, 103.3 15.9, 103.3 16.9, 102.3 16.9, 102.3 15.9)))",
                           cql2::language::text, geo::crs84(), false),
              pins);
    const std::int64_t near_point = filter_count("S_INTERSECTS(geometry, POINT(102.8 16.4))");
    EXPECT_EQ(near_point, sql_count("ST_Intersects(boundary, MakePoint(102.8, 16.4, 4326))" + is_true));
}

TEST_F(cql2_filters, json_encoding_means_the_same_as_text) {
    const auto same = [&](const std::string& text, const std::string& json_filter) {
        const auto a = cql2::compile(text, cql2::language::text, plot_filter_target(true, test::fixture_backend()), geo::crs84());
        const auto b = cql2::compile(json_filter, cql2::language::json, plot_filter_target(true, test::fixture_backend()), geo::crs84());
        EXPECT_EQ(a.sql, b.sql) << text;
        EXPECT_EQ(a.params, b.params) << text;
        EXPECT_EQ(filter_count(json_filter, cql2::language::json), filter_count(text)) << text;
    };
    same("stage = 'complete'", R"({"op": "=", "args": [{"property": "stage"}, "complete"]})");
    same("budget_year >= 2024 AND program = 'HLM'",
         R"({"op": "and", "args": [{"op": ">=", "args": [{"property": "budget_year"}, 2024]}, {"op": "=", "args": [{"property": "program"}, "HLM"]}]})");
    same("NOT (code LIKE '46%')", R"({"op": "not", "args": [{"op": "like", "args": [{"property": "code"}, "46%"]}]})");
    same("budget_year BETWEEN 2023 AND 2024", R"({"op": "between", "args": [{"property": "budget_year"}, 2023, 2024]})");
    same("stage IN ('digging', 'planting')", R"({"op": "in", "args": [{"property": "stage"}, ["digging", "planting"]]})");
    same("name IS NULL", R"({"op": "isNull", "args": [{"property": "name"}]})");
    same("updated_at > TIMESTAMP('2026-01-01T00:00:00Z')", R"({"op": ">", "args": [{"property": "updated_at"}, {"timestamp": "2026-01-01T00:00:00Z"}]})");
    same("S_INTERSECTS(geometry, BBOX(100, 14, 104, 17))", R"({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [100, 14, 104, 17]}]})");
    same("S_INTERSECTS(geometry, POLYGON((100 14, 104 14, 104 17, 100 14)))",
         R"({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[100, 14], [104, 14], [104, 17], [100, 14]]]}]})");
    same("S_INTERSECTS(geometry, POINT(102.8 16.4))",
         R"({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [102.8, 16.4]}]})");
}

TEST_F(cql2_filters, errors_say_what_and_where) {
    EXPECT_EQ(failure("stage = 'complete'"), "");
    EXPECT_NE(failure("stage = 'complete").find("not closed (missing ') (at character 9)"), std::string::npos) << failure("stage = 'complete");
    EXPECT_NE(failure("stage = 'complete' AND").find("(at character 23)"), std::string::npos) << failure("stage = 'complete' AND");
    EXPECT_NE(failure("stage == 'x'").find("character 8"), std::string::npos) << failure("stage == 'x'");
    EXPECT_NE(failure("owner_name = 'สมชาย'").find("unknown property 'owner_name'; the queryables are id, code"), std::string::npos);
    EXPECT_NE(failure("budget_year = 'two thousand'").find("'budget_year' is a whole number"), std::string::npos);
    EXPECT_NE(failure("stage = 5").find("'stage' is text"), std::string::npos);
    EXPECT_NE(failure("stage = NULL").find("IS NULL"), std::string::npos);
    EXPECT_NE(failure("stage = program").find("two properties"), std::string::npos);
    EXPECT_NE(failure("budget_year LIKE '20%'").find("LIKE works on text"), std::string::npos);
    EXPECT_NE(failure("S_INTERSECTS(geometry, POLYGON((1 2, 3)))").find("2 or 3 numbers"), std::string::npos);
    EXPECT_NE(failure("S_INTERSECTS(geometry, BBOX(104, 14, 100, 17))").find("minimum first"), std::string::npos);
    EXPECT_NE(failure("S_INTERSECTS(stage, BBOX(100, 14, 104, 17))").find("property 'geometry'"), std::string::npos);
    EXPECT_NE(failure("updated_at > TIMESTAMP('yesterday')").find("RFC 3339"), std::string::npos);
    // Thai text before the error: positions count characters, not bytes.
    EXPECT_NE(failure("name = 'แปลง' AND").find("(at character 18)"), std::string::npos) << failure("name = 'แปลง' AND");
    EXPECT_NE(failure("").find("empty"), std::string::npos);
    EXPECT_NE(failure(std::string("name = '\xff'")).find("UTF-8"), std::string::npos);
    // JSON errors are located by JSON pointer.
    EXPECT_NE(failure(R"({"op": "and", "args": [{"op": "=", "args": [{"property": "stage"}, "x"]}, {"op": "~", "args": []}]})", cql2::language::json)
                  .find("(at /args/1/op)"),
              std::string::npos);
    EXPECT_NE(failure(R"({"op": "=", "args": [{"property": "nope"}, 1]})", cql2::language::json).find("(at /args/0)"), std::string::npos);
    EXPECT_NE(failure("{not json", cql2::language::json).find("not JSON"), std::string::npos);
}

TEST_F(cql2_filters, hostile_filters_are_refused_not_crashed_on) {
    // Deep nesting would exhaust the stack of a naive recursive parser.
    EXPECT_NE(failure(std::string(100000, '(') + "stage = 'x'" + std::string(100000, ')')).find("nested too deeply"), std::string::npos);
    EXPECT_NE(failure(std::string(100000, '[') + std::string(100000, ']'), cql2::language::json).find("expected an object"), std::string::npos);
    std::string deep_json = R"({"op": "=", "args": [{"property": "stage"}, "x"]})";
    for (int i = 0; i < 200; ++i) deep_json = R"({"op": "not", "args": [)" + deep_json + "]}";
    EXPECT_NE(failure(deep_json, cql2::language::json).find("nested too deeply"), std::string::npos);
    std::string long_in = "stage IN ('a'";
    for (int i = 0; i < 5000; ++i) long_in += ", 'a'";
    EXPECT_NE(failure(long_in + ")").find("too long"), std::string::npos);
    // Values are bound, never spliced: a quote in a value is data.
    EXPECT_EQ(filter_count("name = 'x'' OR 1=1 --'"), 0);
    EXPECT_NE(failure("S_INTERSECTS(geometry, POINT(1e308 1e308))").find("outside longitude"), std::string::npos);
    EXPECT_NE(failure("S_INTERSECTS(geometry, POINT(1e999 0))").find("not a number"), std::string::npos);
}

} // namespace
