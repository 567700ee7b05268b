#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::data;

namespace {


class registry_test : public ::testing::Test {
protected:
    test::temp_dir dir;
    store db{{test::fresh_database(dir).string(), 2}};
    plot_registry registry{db, registry_rules{}};

    // Thani subdistrict, Mueang Sukhothai (640101).
    static plot_draft sukhothai_plot() {
        plot_draft d;
        d.program = "HLM";
        d.name = "แปลงทดสอบ";
        d.owner_name = "สมชาย ใจดี";
        d.boundary = test::rect_m(99.8230, 17.0078, 40, 40);
        return d;
    }
};

} // namespace

TEST_F(registry_test, create_fills_area_admin_code_and_history) {
    const write_result r = registry.create(sukhothai_plot(), editor{"officer1", {}});
    EXPECT_TRUE(r.created);
    const plot& p = r.record;
    EXPECT_EQ(p.version, 1);
    EXPECT_EQ(p.stage, "surveyed");
    EXPECT_EQ(p.adm3, "640101");
    EXPECT_EQ(p.adm2, "6401");
    EXPECT_EQ(p.adm1, "64");
    EXPECT_EQ(p.adm3_name, "ธานี");
    EXPECT_EQ(p.code, "640101-0001");
    EXPECT_NEAR(*p.area_m2, 1600.0, 1.0);
    EXPECT_NEAR(*p.perimeter_m, 160.0, 0.1);
    EXPECT_EQ(p.created_by, "officer1");
    EXPECT_EQ(p.uid.size(), 36u);
    const auto history = registry.history(p.id);
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].action, "create");
    const auto changes = nlohmann::json::parse(history[0].changes_json);
    EXPECT_EQ(changes["code"], nlohmann::json::array({nullptr, "640101-0001"}));
    EXPECT_EQ(registry.create(sukhothai_plot(), {}).record.code, "640101-0002");
}

TEST_F(registry_test, same_uid_twice_returns_the_first_plot) {
    plot_draft d = sukhothai_plot();
    d.uid = "3F2B8C4E-9A1D-4E5F-8B7A-1C2D3E4F5A6B";
    const write_result first = registry.create(d, {});
    d.name = "retried with other text";
    const write_result again = registry.create(d, {});
    EXPECT_TRUE(first.created);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.record.id, first.record.id);
    EXPECT_EQ(again.record.name, "แปลงทดสอบ");
    EXPECT_EQ(again.record.uid, "3f2b8c4e-9a1d-4e5f-8b7a-1c2d3e4f5a6b");
    EXPECT_EQ(registry.list({}).number_matched, 1);
}

TEST_F(registry_test, stale_version_is_refused_with_the_current_one) {
    const plot p = registry.create(sukhothai_plot(), {}).record;
    plot_draft edit = draft_of(p);
    edit.stage = "digging";
    const write_result r = registry.replace(p.id, 1, edit, editor{"a", {}});
    EXPECT_TRUE(r.changed);
    EXPECT_EQ(r.record.version, 2);
    EXPECT_NE(r.record.stage_changed_at, p.stage_changed_at);
    edit.stage = "planting";
    try {
        registry.replace(p.id, 1, edit, editor{"b", {}});
        FAIL();
    } catch (const precondition_failed& e) {
        EXPECT_EQ(e.current_version, 2);
        EXPECT_STREQ(e.what(), ("plot " + std::to_string(p.id) +
                                " is at version 2, not 1: fetch it, reapply the change, and retry").c_str());
    }
    EXPECT_EQ(registry.get(p.id).stage, "digging");
}

TEST_F(registry_test, replace_with_no_change_keeps_the_version) {
    const plot p = registry.create(sukhothai_plot(), {}).record;
    const write_result r = registry.replace(p.id, 1, draft_of(p), {});
    EXPECT_FALSE(r.changed);
    EXPECT_EQ(r.record.version, 1);
    EXPECT_EQ(registry.history(p.id).size(), 1u);
}

TEST_F(registry_test, history_records_each_change_with_old_and_new_values) {
    const plot p = registry.create(sukhothai_plot(), editor{"a", {}}).record;
    plot_draft edit = draft_of(p);
    edit.stage = "digging";
    edit.owner_phone = "081-234-5678";
    registry.replace(p.id, 1, edit, editor{"b", {}});
    registry.remove(p.id, 2, editor{"c", {}});
    registry.restore(p.id, std::nullopt, editor{"d", {}});
    const auto h = registry.history(p.id);
    ASSERT_EQ(h.size(), 4u);
    EXPECT_EQ(h[1].action, "update");
    EXPECT_EQ(h[1].changed_by, "b");
    const auto changes = nlohmann::json::parse(h[1].changes_json);
    EXPECT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes["stage"], nlohmann::json::array({"surveyed", "digging"}));
    EXPECT_EQ(changes["owner_phone"], nlohmann::json::array({nullptr, "081-234-5678"}));
    EXPECT_EQ(h[2].action, "delete");
    EXPECT_EQ(h[3].action, "restore");
    EXPECT_EQ(h[3].version, 4);
}

TEST_F(registry_test, soft_delete_hides_and_restore_brings_back) {
    const plot p = registry.create(sukhothai_plot(), {}).record;
    registry.remove(p.id, std::nullopt, {});
    EXPECT_THROW((void)registry.get(p.id), not_found);
    EXPECT_TRUE(registry.get(p.id, true).deleted_at.has_value());
    EXPECT_EQ(registry.list({}).number_matched, 0);
    plot_query deleted;
    deleted.deleted = plot_query::deleted_filter::only;
    EXPECT_EQ(registry.list(deleted).number_matched, 1);
    EXPECT_THROW(registry.replace(p.id, 2, draft_of(p), {}), conflict);
    registry.restore(p.id, 2, {});
    EXPECT_EQ(registry.get(p.id).version, 3);
}

TEST_F(registry_test, overlaps_and_area_mismatch_are_warnings_not_refusals) {
    const plot first = registry.create(sukhothai_plot(), {}).record;
    plot_draft second = sukhothai_plot();
    // Shifted 20 m east: shares a 20 m x 40 m strip (800 m²) with the first.
    second.boundary = test::rect_m(geo::geodesic_destination({99.8230, 17.0078}, 90, 20).x, 17.0078, 40, 40);
    second.declared_area_m2 = 2000.0;
    const write_result r = registry.create(second, {});
    ASSERT_EQ(r.overlaps.size(), 1u);
    EXPECT_EQ(r.overlaps[0].id, first.id);
    EXPECT_NEAR(r.overlaps[0].area_m2, 800.0, 2.0);
    ASSERT_EQ(r.warnings.size(), 2u);
    EXPECT_EQ(r.warnings[0].code, "overlap");
    EXPECT_EQ(r.warnings[0].message.rfind("the boundary overlaps 1 other plot(s): 640101-0001 (", 0), 0u);
    EXPECT_EQ(r.warnings[1].code, "area_mismatch");
    EXPECT_EQ(r.warnings[1].message.rfind("the measured area 1-0-0 (", 0), 0u) << r.warnings[1].message;
    // A neighbour that only shares an edge is not an overlap.
    plot_draft neighbour = sukhothai_plot();
    neighbour.boundary = test::rect_m(99.8230, geo::geodesic_destination({99.8230, 17.0078}, 0, 40).y, 40, 40);
    EXPECT_TRUE(registry.create(neighbour, {}).overlaps.empty());
}

TEST_F(registry_test, admin_codes_given_by_the_user_win_with_a_warning) {
    plot_draft d = sukhothai_plot();
    d.adm3 = "640102";
    const write_result r = registry.create(d, {});
    EXPECT_EQ(r.record.adm3, "640102");
    EXPECT_EQ(r.record.adm2, "6401");
    ASSERT_TRUE(r.suggested_admin.has_value());
    EXPECT_EQ(r.suggested_admin->adm3, "640101");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0].code, "admin_mismatch");
    d.adm3 = "999999";
    EXPECT_THROW(registry.create(d, {}), bad_request);
    d.adm3 = "640102";
    d.adm2 = "6402";
    EXPECT_THROW(registry.create(d, {}), bad_request);
}

TEST_F(registry_test, rules_name_the_field) {
    const auto message = [&](const std::function<void(plot_draft&)>& change) {
        plot_draft d = sukhothai_plot();
        change(d);
        try {
            registry.create(d, {});
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message([](plot_draft& d) { d.program.reset(); }), "program is required (one of HLM, CLM)");
    EXPECT_EQ(message([](plot_draft& d) { d.program = "XYZ"; }), "program \"XYZ\" is not one of HLM, CLM");
    EXPECT_EQ(message([](plot_draft& d) { d.stage = "done"; }),
              "stage \"done\" is not one of surveyed, digging, planting, complete");
    EXPECT_EQ(message([](plot_draft& d) { d.deed_type = "nor_sor_4"; }),
              "deed_type \"nor_sor_4\" is not one of chanote, ns3k, ns3, spk401, other, none");
    EXPECT_EQ(message([](plot_draft& d) { d.budget_year = 2567; }),
              "budget_year 2567 looks like a Buddhist Era year; send the Common Era year 2024");
    EXPECT_EQ(message([](plot_draft& d) { d.uid = "not-a-uuid"; }),
              "uid \"not-a-uuid\" is not a UUID (like 3f2b8c4e-9a1d-4e5f-8b7a-1c2d3e4f5a6b)");
    EXPECT_EQ(message([](plot_draft& d) { d.boundary.reset(); }), "a plot needs a pin or a boundary (or both)");
    EXPECT_EQ(message([](plot_draft& d) { d.declared_area_m2 = -5; }), "declared_area_m2 must be a number from 0 to 10000000");
    EXPECT_EQ(message([](plot_draft& d) { d.adm3 = "6401"; }), "adm3 must be a 6-digit code, got \"6401\"");
    EXPECT_EQ(message([](plot_draft& d) { d.pin = geo::point{100.5, 25.0}; }),
              "pin (100.500000, 25.000000) is outside the service region Thailand (97.3,5.6,105.7,20.5)");
    EXPECT_EQ(message([](plot_draft& d) { d.boundary = test::rect_m(99.8, 17.0, 5000, 3000); }),
              "boundary covers 14998922 m², more than the 10000000 m² (plots.max_area_m2) a plot may");
    EXPECT_EQ(registry.list({}).number_matched, 0) << "nothing invalid reaches the database";
}

TEST_F(registry_test, codes_are_unique) {
    plot_draft d = sukhothai_plot();
    d.code = "MY-001";
    const plot first = registry.create(d, {}).record;
    try {
        registry.create(d, {});
        FAIL();
    } catch (const conflict& e) {
        EXPECT_EQ(std::string(e.what()), "code \"MY-001\" is already used by plot " + std::to_string(first.id));
    }
}

TEST_F(registry_test, list_filters_by_box_attributes_and_text_with_keyset_paging) {
    for (int i = 0; i < 5; ++i) {
        plot_draft d = sukhothai_plot();
        d.boundary = test::rect_m(99.8230 + 0.001 * i, 17.0078, 30, 30);
        d.program = i % 2 ? "CLM" : "HLM";
        d.budget_year = 2023 + i % 2;
        d.name = "plot " + std::to_string(i);
        registry.create(d, {});
    }
    plot_query q;
    q.program = "HLM";
    EXPECT_EQ(registry.list(q).number_matched, 3);
    q = {};
    q.bbox = geo::bbox{99.8229, 17.0077, 99.8245, 17.0090}; // the first two
    EXPECT_EQ(registry.list(q).number_matched, 2);
    q = {};
    q.text = "plot 3";
    EXPECT_EQ(registry.list(q).number_matched, 1);
    q = {};
    q.text = "%";
    EXPECT_EQ(registry.list(q).number_matched, 0) << "LIKE wildcards are escaped";
    q = {};
    q.budget_year = 2024;
    q.adm3 = "640101";
    EXPECT_EQ(registry.list(q).number_matched, 2);
    q = {};
    q.limit = 2;
    std::vector<std::int64_t> seen;
    for (int page = 0; page < 5; ++page) {
        const plot_page p = registry.list(q);
        for (const auto& plot : p.plots) seen.push_back(plot.id);
        EXPECT_EQ(p.number_matched, 5);
        if (!p.more) break;
        q.after_id = p.plots.back().id;
    }
    EXPECT_EQ(seen.size(), 5u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(registry_test, invalid_boundary_is_repaired_only_on_request) {
    plot_draft d = sukhothai_plot();
    d.boundary = geo::multi_polygon{{geo::polygon{{{{99.8230, 17.0078}, {99.8234, 17.0082}, {99.8234, 17.0078},
                                                    {99.8230, 17.0082}, {99.8230, 17.0078}}}}}};
    EXPECT_THROW(registry.create(d, {}), invalid_geometry);
    d.repair = true;
    const write_result r = registry.create(d, {});
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0].code, "repaired");
    EXPECT_EQ(r.record.boundary->polygons.size(), 2u);
    const auto h = registry.history(r.record.id);
    const auto details = nlohmann::json::parse(*h[0].details_json);
    EXPECT_EQ(details["repairs"].size(), 1u);
}

TEST_F(registry_test, editors_touch_only_plots_in_their_scope) {
    const editor district{"officer", std::string("6401")};
    const editor other{"elsewhere", std::string("50")};
    const write_result made = registry.create(sukhothai_plot(), district);
    EXPECT_EQ(made.record.created_by, "officer");
    EXPECT_THROW(registry.create(sukhothai_plot(), other), forbidden);
    EXPECT_THROW(registry.replace(made.record.id, 1, draft_of(made.record), other), forbidden);
    EXPECT_THROW(registry.remove(made.record.id, 1, other), forbidden);
    // Moving the plot out of the district (by its admin codes) is refused, and changes nothing.
    plot_draft moved = draft_of(made.record);
    moved.adm1 = "50";
    moved.adm2 = "5001";
    moved.adm3 = "500101";
    try {
        registry.replace(made.record.id, 1, moved, district);
        FAIL() << "moving out of scope was allowed";
    } catch (const forbidden& e) {
        EXPECT_EQ(std::string(e.what()), "the edited plot " + std::to_string(made.record.id) +
                                             " lies in 500101, outside officer's scope 6401 (เมืองสุโขทัย)");
    }
    EXPECT_EQ(registry.get(made.record.id).version, 1);
    EXPECT_EQ(registry.get(made.record.id).adm3, "640101");
    EXPECT_EQ(registry.remove(made.record.id, 1, editor{"sup", std::string("64")}).record.updated_by, "sup");
}
