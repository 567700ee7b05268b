#include "data/clock.hpp"
#include "data/database.hpp"
#include "data/users.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

namespace {

class users_test : public ::testing::Test {
protected:
    test::temp_dir dir;
    connection c{test::fresh_database(dir).string(), connection::mode::read_write};
    session_limits limits{100, 1000};
};

} // namespace

TEST(users, scopes_are_admin_code_prefixes) {
    EXPECT_TRUE(codes_in_scope(std::nullopt, std::nullopt, std::nullopt, std::nullopt));
    EXPECT_TRUE(codes_in_scope(std::string("64"), std::string("64"), std::string("6401"), std::string("640101")));
    EXPECT_TRUE(codes_in_scope(std::string("6401"), std::string("64"), std::string("6401"), std::string("640101")));
    EXPECT_FALSE(codes_in_scope(std::string("6402"), std::string("64"), std::string("6401"), std::string("640101")));
    EXPECT_FALSE(codes_in_scope(std::string("640101"), std::string("64"), std::nullopt, std::nullopt)); // only a province known
    EXPECT_FALSE(codes_in_scope(std::string("64"), std::nullopt, std::nullopt, std::nullopt));         // in the sea
    EXPECT_TRUE(scope_within(std::string("6401"), std::string("64")));
    EXPECT_TRUE(scope_within(std::string("6401"), std::nullopt));
    EXPECT_FALSE(scope_within(std::nullopt, std::string("64")));
    EXPECT_FALSE(scope_within(std::string("50"), std::string("64")));
}

TEST(users, passwords_are_argon2id_and_checked_in_constant_time) {
    const std::string h = hash_password("correct horse");
    EXPECT_EQ(h.rfind("$argon2id$", 0), 0u);
    EXPECT_NE(h, hash_password("correct horse")); // salted
    EXPECT_TRUE(verify_password(h, "correct horse"));
    EXPECT_FALSE(verify_password(h, "correct hors"));
    EXPECT_FALSE(verify_password("not a hash", "correct horse"));
    EXPECT_THROW((void)hash_password("short"), bad_request);
    EXPECT_THROW((void)hash_password(std::string(1025, 'x')), bad_request);
}

TEST_F(users_test, scopes_are_checked_against_the_admin_areas) {
    EXPECT_EQ(parse_scope(c, ""), std::nullopt);
    EXPECT_EQ(parse_scope(c, "TH"), std::nullopt);
    EXPECT_EQ(parse_scope(c, "64"), "64");
    EXPECT_EQ(parse_scope(c, "TH6401"), "6401");
    EXPECT_EQ(parse_scope(c, "640101"), "640101");
    EXPECT_THROW((void)parse_scope(c, "99"), bad_request);
    EXPECT_THROW((void)parse_scope(c, "640"), bad_request);
    EXPECT_THROW((void)parse_scope(c, "64' OR 1=1"), bad_request);
    EXPECT_EQ(describe_scope(c, std::string("6401")), "6401 (เมืองสุโขทัย)");
    EXPECT_EQ(describe_scope(c, std::nullopt), "the whole country");
}

TEST_F(users_test, sessions_end_when_idle_at_their_lifetime_and_on_revocation) {
    const user u = add_user(c, {"somchai", role::staff, std::string("6401"), "a-long-password"}, std::nullopt);
    const session_grant g = create_session(c, u.id, limits, "127.0.0.1");
    const std::int64_t t0 = unix_now();
    auto p = session_principal(c, g.token, limits, t0);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->username, "somchai");
    EXPECT_EQ(p->scope, "6401");
    EXPECT_TRUE(p->via_session);
    EXPECT_EQ(p->csrf_token, g.csrf_token);
    EXPECT_FALSE(session_principal(c, g.token, limits, t0 + 101));   // idle too long
    mark_used(c, *p, t0 + 90);
    EXPECT_TRUE(session_principal(c, g.token, limits, t0 + 150));    // the idle timeout slid
    EXPECT_FALSE(session_principal(c, g.token, limits, t0 + 1000));  // lifetime is absolute
    EXPECT_FALSE(session_principal(c, g.token + "x", limits, t0));
    end_session(c, g.token);
    EXPECT_FALSE(session_principal(c, g.token, limits, t0));
    const session_grant g2 = create_session(c, u.id, limits, "127.0.0.1");
    set_role(c, "somchai", role::viewer, std::string("64"));
    EXPECT_FALSE(session_principal(c, g2.token, limits, t0)); // a new role needs a new session
}

TEST_F(users_test, tokens_keep_within_their_user_and_die_with_them) {
    (void)add_user(c, {"somchai", role::staff, std::string("64"), "a-long-password"}, std::nullopt);
    const token_grant narrow = create_token(c, "somchai", std::string("qgis"), false, std::string("6401"));
    EXPECT_EQ(narrow.token.rfind("pm_", 0), 0u);
    EXPECT_EQ(narrow.token.size(), 46u);
    auto p = token_principal(c, narrow.token);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->scope, "6401");
    EXPECT_FALSE(p->can_write);
    EXPECT_FALSE(p->via_session);
    EXPECT_THROW((void)create_token(c, "somchai", std::nullopt, false, std::nullopt), forbidden); // wider than the user
    // The user narrowed below the token: the user's scope wins.
    set_role(c, "somchai", role::staff, std::string("640101"));
    EXPECT_EQ(token_principal(c, narrow.token)->scope, "640101");
    const token_grant writer = create_token(c, "somchai", std::nullopt, true, std::string("640101"));
    EXPECT_TRUE(token_principal(c, writer.token)->can_write);
    set_role(c, "somchai", role::viewer, std::string("640101"));
    EXPECT_FALSE(token_principal(c, writer.token)->can_write); // viewers never write
    set_disabled(c, "somchai", true);
    EXPECT_FALSE(token_principal(c, writer.token));
    set_disabled(c, "somchai", false);
    EXPECT_FALSE(token_principal(c, writer.token)); // disabling revoked it for good
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL"), 2);
}

TEST_F(users_test, sign_in_checks_do_not_depend_on_the_name_existing) {
    (void)add_user(c, {"somchai", role::viewer, std::nullopt, "a-long-password"}, std::nullopt);
    EXPECT_TRUE(check_login(c, "somchai", "a-long-password"));
    EXPECT_TRUE(check_login(c, "SOMCHAI", "a-long-password")); // usernames ignore case
    EXPECT_FALSE(check_login(c, "somchai", "a-long-passwore"));
    EXPECT_FALSE(check_login(c, "nobody", "a-long-password"));
    EXPECT_THROW((void)add_user(c, {"Somchai", role::viewer, std::nullopt, "a-long-password"}, std::nullopt), bad_request);
    EXPECT_THROW((void)add_user(c, {"somchai", role::viewer, std::nullopt, "a-long-password"}, std::nullopt), conflict);
}

TEST_F(users_test, sign_in_attempts_are_counted_per_name_and_address_until_their_window_ends) {
    const sign_in_limits caps{3, 5, 60};
    const std::int64_t t0 = 1'800'000'000;
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(count_sign_in(c, caps, "10.0.0.1", i == 1 ? "SomChai" : "somchai", t0 + i));
    // The name's fourth attempt is refused, not counted, and says how long to wait.
    const auto by_name = count_sign_in(c, caps, "10.0.0.2", "somchai", t0 + 10);
    ASSERT_TRUE(by_name);
    EXPECT_FALSE(by_name->by_address);
    EXPECT_EQ(by_name->retry_after_s, 50);
    // Another name from the first address counts there until the address reaches its limit.
    EXPECT_FALSE(count_sign_in(c, caps, "10.0.0.1", "malee", t0 + 11));
    EXPECT_FALSE(count_sign_in(c, caps, "10.0.0.1", "malee", t0 + 12));
    const auto by_address = count_sign_in(c, caps, "10.0.0.1", "malee", t0 + 13);
    ASSERT_TRUE(by_address);
    EXPECT_TRUE(by_address->by_address);
    EXPECT_EQ(by_address->retry_after_s, 47);
    // A password that checked out clears the name, not the address.
    clear_sign_ins(c, "SOMCHAI");
    EXPECT_FALSE(count_sign_in(c, caps, "10.0.0.2", "somchai", t0 + 20));
    EXPECT_TRUE(count_sign_in(c, caps, "10.0.0.1", "somchai", t0 + 21));
    // The window ends: both are forgotten, and so are their rows.
    EXPECT_FALSE(count_sign_in(c, caps, "10.0.0.1", "malee", t0 + 60));
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sign_in_counts"), 4); // two addresses, two names
    // A name or an address of ten thousand bytes is kept as its first hundred.
    EXPECT_FALSE(count_sign_in(c, caps, std::string(10000, '9'), std::string(10000, 'X'), t0 + 61));
    EXPECT_EQ(c.scalar_int("SELECT max(length(key)) FROM sign_in_counts"), 100);
}
