// Verification of plots (data/review.hpp, plot_registry::review): every allowed and refused
// step by role, scope and state; an approved plot whose deed, area, location or boundary
// changes goes back to submitted and says what changed; the checklist's computed items
// against hand-made plots; the summary tables and review_changes follow every step.

#include "data/plot_registry.hpp"
#include "data/reports.hpp"
#include "data/review.hpp"
#include "data/database.hpp"
#include "data/stats.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::data;

namespace {

class review_test : public ::testing::Test {
protected:
    test::temp_dir dir;
    store db{{test::fresh_database(dir).string(), 2}};
    plot_registry registry{db, registry_rules{}};

    const editor officer{"officer", std::string("6401"), false};
    const editor other_officer{"officer2", std::string("6401"), false};
    const editor supervisor{"sup", std::string("64"), true};
    const editor far_supervisor{"sup50", std::string("50"), true};

    /// Thani, Mueang Sukhothai: a chanote of 1,600 m² that the 40 x 40 m boundary matches.
    plot made(double lon = 99.8230) {
        plot_draft d;
        d.program = "HLM";
        d.deed_type = "chanote";
        d.deed_no = "12345";
        d.declared_area_m2 = 1600;
        d.boundary = test::rect_m(lon, 17.0078, 40, 40);
        return registry.create(d, officer).record;
    }

    plot step(const plot& p, review_action a, const editor& who, std::map<std::string, std::string> reasons = {}) {
        review_draft d;
        d.action = a;
        d.reasons = std::move(reasons);
        return registry.review(p.id, p.version, d, who).record;
    }

    std::int64_t count(const std::string& sql) {
        return db.read([&](connection& c) { return c.scalar_int(sql); });
    }
};

} // namespace

TEST_F(review_test, the_whole_way_with_who_may_take_each_step) {
    plot p = made();
    EXPECT_EQ(p.review_state, "unchecked");
    // Only a submission is a step from unchecked; approving it is refused with what is allowed.
    try {
        step(p, review_action::approve, supervisor);
        FAIL() << "approved an unchecked plot";
    } catch (const not_allowed_now& e) {
        EXPECT_EQ(e.allowed, std::vector<std::string>{"submit"});
    }
    p = step(p, review_action::submit, officer);
    EXPECT_EQ(p.review_state, "submitted");
    EXPECT_EQ(p.submitted_by, "officer");
    EXPECT_EQ(p.version, 2);
    // An officer cannot approve or send back; a supervisor elsewhere cannot touch it.
    EXPECT_THROW(step(p, review_action::approve, other_officer), forbidden);
    EXPECT_THROW(step(p, review_action::send_back, other_officer, {{"deed_no", "blurred"}}), forbidden);
    EXPECT_THROW(step(p, review_action::approve, far_supervisor), forbidden);
    // A stale version is 412, as for edits.
    review_draft stale;
    stale.action = review_action::approve;
    EXPECT_THROW(registry.review(p.id, 1, stale, supervisor), precondition_failed);
    // Sent back with a reason per item; the officer fixes and submits again.
    p = step(p, review_action::send_back, supervisor, {{"deed_no", "ตัวเลขในภาพถ่ายโฉนดอ่านไม่ออก"}, {"photos", "ขาดภาพหน้าแปลง"}});
    EXPECT_EQ(p.review_state, "needs_fix");
    EXPECT_THROW(step(p, review_action::send_back, supervisor, {{"boundary", "again"}}), not_allowed_now);
    p = step(p, review_action::submit, officer);
    // A supervisor who submitted a plot does not approve it themself.
    plot q = made(99.8300);
    q = step(q, review_action::submit, supervisor);
    EXPECT_THROW(step(q, review_action::approve, supervisor), forbidden);
    // Approved by the supervisor; an approved plot can still be sent back, not re-submitted.
    p = step(p, review_action::approve, supervisor);
    EXPECT_EQ(p.review_state, "approved");
    EXPECT_THROW(step(p, review_action::submit, officer), not_allowed_now);

    // Every step is a history version with who, when and why.
    const auto history = registry.history(p.id);
    std::vector<std::string> actions;
    for (const auto& h : history) {
        if (!h.details_json) continue;
        const auto details = nlohmann::json::parse(*h.details_json);
        if (!details.contains("review")) continue;
        actions.push_back(details["review"]["action"].get<std::string>() + "/" + *h.changed_by);
        if (details["review"]["action"] == "send_back") {
            EXPECT_EQ(details["review"]["reasons"]["photos"], "ขาดภาพหน้าแปลง");
        }
        if (details["review"]["action"] == "approve") {
            // What the approval was checked against, as computed then.
            EXPECT_EQ(details["review"]["checklist"]["deed"]["ok"], true);
            EXPECT_EQ(details["review"]["checklist"]["area"]["ok"], true);
            EXPECT_EQ(details["review"]["checklist"]["photo"]["ok"], false);
        }
        EXPECT_EQ(nlohmann::json::parse(h.changes_json).contains("review_state"), true);
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"submit/officer", "send_back/sup", "submit/officer", "approve/sup"}));
    // review_changes holds each state reached, for the monthly report.
    EXPECT_EQ(count("SELECT count(*) FROM review_changes WHERE plot_id = " + std::to_string(p.id)), 4);
    EXPECT_EQ(count("SELECT count(*) FROM review_changes WHERE state_to = 'approved' AND changed_by = 'sup'"), 1);
}

TEST_F(review_test, requests_that_make_no_sense_are_refused_before_the_state_is_read) {
    plot p = made();
    review_draft d;
    d.action = review_action::send_back;
    EXPECT_THROW(registry.review(p.id, p.version, d, supervisor), bad_request); // no reasons
    d.reasons = {{"colour", "wrong"}};
    EXPECT_THROW(registry.review(p.id, p.version, d, supervisor), bad_request); // not an item
    d.reasons = {{"deed_no", "   "}};
    EXPECT_THROW(registry.review(p.id, p.version, d, supervisor), bad_request); // says nothing
    review_draft approve;
    approve.action = review_action::approve;
    approve.checks = {{"deed_colour", true}};
    EXPECT_THROW(registry.review(p.id, p.version, approve, supervisor), bad_request);
    review_draft submit;
    submit.action = review_action::submit;
    submit.reasons = {{"deed_no", "x"}};
    EXPECT_THROW(registry.review(p.id, p.version, submit, officer), bad_request);
    EXPECT_THROW((void)parse_review_action("accept"), bad_request);
    approve.checks.clear();
    EXPECT_THROW(registry.review(999999, 1, approve, supervisor), not_found);
    EXPECT_EQ(registry.get(p.id).version, 1); // nothing was written
}

TEST_F(review_test, a_relevant_edit_sends_an_approved_plot_back_and_says_what_changed) {
    plot p = made();
    p = step(step(p, review_action::submit, officer), review_action::approve, supervisor);
    // A name is not what was checked: still approved.
    plot_draft d = draft_of(p);
    d.name = "แปลงนายสมชาย";
    p = registry.replace(p.id, p.version, d, officer).record;
    EXPECT_EQ(p.review_state, "approved");
    // The deed number and the boundary are.
    d = draft_of(p);
    d.deed_no = "54321";
    d.boundary = test::rect_m(99.8230, 17.0078, 40, 50);
    const write_result r = registry.replace(p.id, p.version, d, officer);
    EXPECT_EQ(r.record.review_state, "submitted");
    EXPECT_EQ(r.record.submitted_by, "officer");
    bool warned = false;
    for (const auto& w : r.warnings) warned = warned || w.code == "review_returned";
    EXPECT_TRUE(warned);
    const auto last = registry.history(p.id).back();
    const auto details = nlohmann::json::parse(*last.details_json);
    EXPECT_EQ(details["review"]["action"], "returned");
    EXPECT_EQ(details["review"]["changed"], nlohmann::json::array({"deed_no", "boundary"}));
    EXPECT_EQ(nlohmann::json::parse(last.changes_json)["review_state"], nlohmann::json::array({"approved", "submitted"}));
    // A progress event is not a change of what was checked either.
    plot s = step(r.record, review_action::approve, supervisor);
    s = registry.record_progress(s.id, s.version, {std::nullopt, "digging", "2026-03-03", std::nullopt}, officer).write.record;
    EXPECT_EQ(s.review_state, "approved");
}

TEST_F(review_test, the_checklist_computes_what_it_can) {
    const checklist_rules rules{0.10, 1.0};
    const auto items = [&](const plot& p) {
        std::map<std::string, std::optional<bool>> out;
        for (const auto& i : db.read([&](connection& c) { return review_checklist(c, p, rules); })) out[i.key] = i.ok;
        return out;
    };
    const plot good = made();
    auto got = items(good);
    EXPECT_EQ(got["deed"], true);
    EXPECT_EQ(got["area"], true);
    EXPECT_EQ(got["subdistrict"], true);
    EXPECT_EQ(got["overlap"], true);
    EXPECT_EQ(got["photo"], false);
    EXPECT_EQ(got["deed_document"], std::nullopt); // a person ticks it
    EXPECT_EQ(got["boundary_on_imagery"], std::nullopt);

    // No deed number, a deed a quarter larger, overlapping `good` by half, recorded in the
    // next subdistrict.
    plot_draft d;
    d.program = "HLM";
    d.deed_type = "ns3k";
    d.declared_area_m2 = 2000;
    const geo::point half = geo::geodesic_destination({99.8230, 17.0078}, 90, 20);
    d.boundary = test::rect_m(half.x, half.y, 40, 40);
    d.adm3 = "640102";
    const plot bad = registry.create(d, officer).record;
    got = items(bad);
    EXPECT_EQ(got["deed"], false);
    EXPECT_EQ(got["area"], false);
    EXPECT_EQ(got["subdistrict"], false);
    EXPECT_EQ(got["overlap"], false);
    // A pin only: nothing to overlap, area not measurable.
    plot_draft pin;
    pin.program = "HLM";
    pin.pin = geo::point{99.8245, 17.0100};
    got = items(registry.create(pin, officer).record);
    EXPECT_EQ(got["overlap"], std::nullopt);
    EXPECT_EQ(got["area"], false);
    EXPECT_EQ(got["subdistrict"], true);
}

TEST_F(review_test, the_numbers_follow_the_review) {
    plot a = made();
    plot b = made(99.8300);
    step(step(a, review_action::submit, officer), review_action::approve, supervisor);
    step(b, review_action::submit, officer);
    const stats_result country = db.read([](connection& c) { return plot_stats(c, {}); });
    EXPECT_EQ(country.total.by_review.at("approved"), 1);
    EXPECT_EQ(country.total.by_review.at("submitted"), 1);
    EXPECT_EQ(count("SELECT total(plots) FROM plot_totals WHERE review_state = 'approved'"), 1);
    // The queue: oldest first, with the last step's who and what.
    const auto queue = db.read([](connection& c) { return review_queue(c, {std::string("6401"), {}, {}, {}}, "submitted", 10); });
    ASSERT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue[0].id, b.id);
    EXPECT_EQ(queue[0].by, "officer");
    ASSERT_TRUE(queue[0].review_json);
    EXPECT_EQ(nlohmann::json::parse(*queue[0].review_json)["action"], "submit");
    EXPECT_THROW(db.read([](connection& c) { return review_queue(c, {}, "done", 10); }), bad_request);
}
