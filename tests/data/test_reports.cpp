// The dashboard's summary tables stay exact through every kind of plot write (create, edit,
// move, progress, delete, restore, batch import), and the reports and findings read from them
// agree with SQL over the plots themselves.

#include "data/plot_registry.hpp"
#include "data/reports.hpp"
#include "data/database.hpp"
#include "data/stats.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

namespace {


class reports_test : public ::testing::Test {
protected:
    test::temp_dir dir;
    store db{{test::fresh_database(dir).string(), 2}};
    plot_registry registry{db, registry_rules{}};

    static plot_draft plot_at(double lon, double lat, const char* program = "HLM") {
        plot_draft d;
        d.program = program;
        d.name = "แปลง";
        d.boundary = test::rect_m(lon, lat, 40, 40);
        return d;
    }

    std::string text(const std::string& sql) {
        return db.read([&](connection& c) {
            statement st = c.prepare(sql);
            std::string out;
            while (st.step()) out += std::string(st.text(0)) + "\n";
            return out;
        });
    }

    /// plot_totals equals the same sums made from the plots now.
    void expect_totals_exact() {
        const char* kept = "SELECT adm1 || '|' || adm2 || '|' || adm3 || '|' || stage || '|' || program || '|' || budget_year || '|' || "
                           "review_state || '|' || plots || '|' || area_cm2 || '/' || with_boundary "
                           "FROM plot_totals WHERE plots <> 0 ORDER BY adm1, adm2, adm3, stage, program, budget_year, review_state";
        const char* fresh = "SELECT coalesce(adm1, '') || '|' || coalesce(adm2, '') || '|' || coalesce(adm3, '') || '|' || stage || '|' || "
                            "program || '|' || coalesce(budget_year, 0) || '|' || review_state || '|' || count(*) || '|' || "
                            "CAST(total(round(coalesce(area_m2, 0) * 100)) AS INTEGER) || '/' || count(boundary) "
                            "FROM plots WHERE deleted_at IS NULL GROUP BY adm1, adm2, adm3, stage, program, budget_year, review_state "
                            "ORDER BY adm1, adm2, adm3, stage, program, budget_year, review_state";
        EXPECT_EQ(text(kept), text(fresh));
        EXPECT_FALSE(text(fresh).empty());
    }
};

} // namespace

TEST_F(reports_test, totals_and_stage_changes_follow_every_write) {
    const editor officer{"officer1", {}};
    const write_result a = registry.create(plot_at(99.8230, 17.0078), officer);           // Thani, Sukhothai
    const write_result b = registry.create(plot_at(99.8260, 17.0078, "CLM"), officer);    // same subdistrict
    plot_draft pinned;
    pinned.program = "HLM";
    pinned.pin = geo::point{99.8245, 17.0100};
    const write_result c = registry.create(pinned, officer); // no boundary
    expect_totals_exact();

    // An edit of the stage and the budget year; a move to another province; a progress event
    // on a past day; a deletion; a restore.
    plot_draft edit = plot_at(99.8230, 17.0078);
    edit.stage = "digging";
    edit.budget_year = 2026;
    registry.replace(a.record.id, 1, edit, editor{"officer2", {}});
    expect_totals_exact();
    plot_draft moved = plot_at(100.5018, 13.7563, "CLM"); // Bangkok
    registry.replace(b.record.id, 1, moved, officer);
    expect_totals_exact();
    registry.record_progress(c.record.id, 1, {std::nullopt, "planting", "2026-03-03", std::string("ปลูกแล้ว")}, officer);
    expect_totals_exact();
    registry.remove(b.record.id, std::nullopt, officer);
    expect_totals_exact();
    registry.restore(b.record.id, std::nullopt, officer);
    registry.remove(a.record.id, std::nullopt, officer);
    expect_totals_exact();

    // Every stage reached: three creations, the edit to digging (live = 0: a is deleted now),
    // the progress event dated on its day (noon in Thailand), who made each.
    EXPECT_EQ(text("SELECT plot_id || '|' || version || '|' || coalesce(stage_from, '-') || '|' || stage_to || '|' || "
                   "substr(changed_at, 1, 10) || '|' || changed_by || '|' || live || '|' || adm1 "
                   "FROM stage_changes ORDER BY plot_id, version"),
              std::to_string(a.record.id) + "|1|-|surveyed|" + a.record.created_at.substr(0, 10) + "|officer1|0|64\n" +
                  std::to_string(a.record.id) + "|2|surveyed|digging|" + a.record.created_at.substr(0, 10) + "|officer2|0|64\n" +
                  std::to_string(b.record.id) + "|1|-|surveyed|" + b.record.created_at.substr(0, 10) + "|officer1|1|10\n" +
                  std::to_string(c.record.id) + "|1|-|surveyed|" + c.record.created_at.substr(0, 10) + "|officer1|1|64\n" +
                  std::to_string(c.record.id) + "|2|surveyed|planting|2026-03-03|officer1|1|64\n");

    // The stats read the totals: Sukhothai has c (planting, no boundary), Bangkok has b.
    const stats_result country = db.read([](connection& conn) { return plot_stats(conn, {}); });
    EXPECT_EQ(country.total.plots, 2);
    EXPECT_EQ(country.total.with_boundary, 1);
    EXPECT_EQ(country.total.by_stage.at("planting"), 1);
    EXPECT_EQ(country.total.by_program.at("CLM"), 1);

    // The trend counts the stage reached in its month (Thai time), live plots only.
    const stage_trend trend = db.read([](connection& conn) {
        return plot_stage_trend(conn, {std::string("64"), {}, {}, {}}, parse_month("2026-03"), parse_month("2026-03"));
    });
    ASSERT_EQ(trend.months, std::vector<std::string>{"2026-03"});
    EXPECT_EQ(trend.by_stage.at("planting"), std::vector<std::int64_t>{1});
    EXPECT_EQ(trend.by_stage.count("digging"), 0u);
}

TEST_F(reports_test, months_are_thai_months_in_either_era) {
    const month_span m = parse_month("2569-11");
    EXPECT_EQ(m.month, "2026-11");
    EXPECT_EQ(m.from, "2026-10-31T17:00:00.000Z");
    EXPECT_EQ(m.to, "2026-11-30T17:00:00.000Z");
    EXPECT_EQ(parse_month("2026-12").to, "2026-12-31T17:00:00.000Z");
    for (const char* bad : {"2026-13", "2026-1", "26-11", "2026/11", "", "abcd-ef", "1800-01"}) {
        EXPECT_THROW((void)parse_month(bad), bad_request) << bad;
    }
    EXPECT_EQ(thai_month(1764522000 /* 2025-11-30T17:00:00Z, midnight in Bangkok */).month, "2025-12");
    EXPECT_EQ(thai_month(1764521999).month, "2025-11");
    EXPECT_EQ(thai_month(1764522000, 12).month, "2024-12");
}

TEST_F(reports_test, findings_name_the_plots_sql_finds) {
    const editor officer{"officer1", {}};
    // a: declared a third more than measured; b overlaps a by 20 x 40 m; c: pin only;
    // d: recorded in another subdistrict of the district than where it lies.
    plot_draft da = plot_at(99.8230, 17.0078);
    da.declared_area_m2 = 1600 * 1.34;
    const write_result a = registry.create(da, officer);
    const geo::point a_se = geo::geodesic_destination({99.8230, 17.0078}, 90, 20);
    const write_result b = registry.create(plot_at(a_se.x, a_se.y), officer);
    plot_draft dc;
    dc.program = "HLM";
    dc.pin = geo::point{99.8245, 17.0100};
    const write_result c = registry.create(dc, officer);
    plot_draft dd = plot_at(99.8300, 17.0150);
    dd.adm3 = "640102"; // the code wins over the location, with a warning
    const write_result d = registry.create(dd, officer);
    ASSERT_EQ(d.record.adm3, "640102");

    const quality_rules rules{0.10, 1.0, "2000-01-01T00:00:00.000Z"};
    const area_filter district{std::string("6401"), {}, {}, {}};
    const auto counts = db.read([&](connection& conn) { return quality_counts(conn, district, rules); });
    EXPECT_EQ(counts.at(quality_issue::no_boundary), 1);
    EXPECT_EQ(counts.at(quality_issue::no_recent_photo), 4);
    EXPECT_EQ(counts.at(quality_issue::area_mismatch), 1);
    EXPECT_EQ(counts.at(quality_issue::overlap), 2); // a and b, each
    EXPECT_EQ(counts.at(quality_issue::outside_subdistrict), 1);
    const auto list = [&](quality_issue i) {
        std::string codes;
        for (const report_plot& p : db.read([&](connection& conn) { return quality_list(conn, district, rules, i, 10); })) {
            codes += p.code + (p.detail ? "(" + *p.detail + ")" : "") + " ";
        }
        return codes;
    };
    EXPECT_EQ(list(quality_issue::no_boundary), c.record.code + " ");
    EXPECT_EQ(list(quality_issue::area_mismatch), a.record.code + "(-25%) ");
    EXPECT_EQ(list(quality_issue::outside_subdistrict), d.record.code + " ");
    EXPECT_EQ(list(quality_issue::overlap), a.record.code + "(" + b.record.code + " (800.0 m²)) " + b.record.code + "(" +
                                                a.record.code + " (800.0 m²)) ");

    // A whole province: no geometric findings (absent, not zero), and asking for their list is 400.
    const area_filter province{std::string("64"), {}, {}, {}};
    const auto wide = db.read([&](connection& conn) { return quality_counts(conn, province, rules); });
    EXPECT_EQ(wide.count(quality_issue::overlap), 0u);
    EXPECT_EQ(wide.count(quality_issue::outside_subdistrict), 0u);
    EXPECT_EQ(wide.at(quality_issue::area_mismatch), 1);
    EXPECT_THROW(db.read([&](connection& conn) { return quality_list(conn, province, rules, quality_issue::overlap, 10); }), bad_request);

    // A scope elsewhere sees nothing; an area outside the scope is refused.
    const area_filter elsewhere{std::nullopt, std::string("10"), {}, {}};
    EXPECT_EQ(db.read([&](connection& conn) { return quality_counts(conn, elsewhere, rules); }).at(quality_issue::no_boundary), 0);
    EXPECT_THROW(db.read([&](connection& conn) {
                     check_area(conn, {std::string("6401"), std::string("10"), {}, {}});
                     return 0;
                 }),
                 forbidden);
    EXPECT_THROW(db.read([&](connection& conn) {
                     check_area(conn, {std::string("9999"), {}, {}, {}});
                     return 0;
                 }),
                 not_found);
}
