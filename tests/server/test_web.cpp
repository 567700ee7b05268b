// The built pages' files (/app/, the field app, and /dashboard/): the page, its manifest and
// service worker revalidated every time, the hashed bundles cached for a year, nothing else
// reachable under them, and a hint that works as typed when they have not been built.
#include "app_fixture.hpp"
#include "tiles/tile_cache.hpp"

#include <fstream>

using namespace plotmap;
using server::response;

namespace {

/// A web root holding a small build of the app (what `npm --prefix web run build` makes).
const std::filesystem::path& built_root() {
    static test::temp_dir root;
    static const bool made = [] {
        std::filesystem::create_directories(root / "dist" / "app" / "assets");
        std::ofstream(root / "dist" / "app" / "index.html") << "<!doctype html><title>plotmap</title>";
        std::ofstream(root / "dist" / "app" / "sw.js") << "self.addEventListener('fetch', () => {});";
        std::ofstream(root / "dist" / "app" / "manifest.webmanifest") << R"({"name":"plotmap"})";
        std::ofstream(root / "dist" / "app" / "assets" / "index-Bw0Y19bL.js") << "console.log(1);";
        std::filesystem::create_directories(root / "dist" / "dashboard" / "assets");
        std::ofstream(root / "dist" / "dashboard" / "index.html") << "<!doctype html><title>dashboard</title>";
        std::ofstream(root / "dist" / "dashboard" / "assets" / "index-Qz81xT0a.js") << "console.log(2);";
        std::ofstream(root / "dist" / "secret.txt") << "not for you";
        std::ofstream(root / "dist" / "app" / ".env") << "KEY=1";
        return true;
    }();
    (void)made;
    return root.path();
}

config::settings with_root(const std::filesystem::path& root) {
    config::settings s;
    s.web.root = root.string();
    return s;
}

class web_app_files : public test::app_fixture {
protected:
    web_app_files() : app_fixture(0, with_root(built_root())) {}
};

} // namespace

TEST_F(web_app_files, the_page_revalidates_and_the_bundles_are_immutable) {
    const response moved = anonymous_call("GET", "/app");
    EXPECT_EQ(moved.status, 308);
    EXPECT_EQ(moved.header("Location"), "/app/");

    const response page = anonymous_call("GET", "/app/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(page.header("Cache-Control"), "no-cache");
    EXPECT_EQ(page.body, "<!doctype html><title>plotmap</title>");
    EXPECT_EQ(anonymous_call("GET", "/app/", {}, server::header_list{{"if-none-match", std::string(page.header("ETag").value_or(""))}}).status, 304);

    EXPECT_EQ(anonymous_call("GET", "/app/sw.js").header("Cache-Control"), "no-cache");
    EXPECT_EQ(anonymous_call("GET", "/app/manifest.webmanifest").header("Content-Type"), "application/manifest+json");
    const response bundle = anonymous_call("GET", "/app/assets/index-Bw0Y19bL.js");
    ASSERT_EQ(bundle.status, 200);
    EXPECT_EQ(bundle.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(bundle.header("Cache-Control"), "public, max-age=31536000, immutable");

    // Text goes gzip-compressed to clients that take it, under its own ETag.
    const response packed = anonymous_call("GET", "/app/assets/index-Bw0Y19bL.js", {}, server::header_list{{"accept-encoding", "gzip, br"}});
    EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
    EXPECT_EQ(packed.header("Vary"), "Accept-Encoding");
    EXPECT_NE(packed.header("ETag"), bundle.header("ETag"));
    EXPECT_EQ(packed.body, tiles::gzip("console.log(1);")); // the gzip the tiles use, round-trip tested there
    EXPECT_EQ(anonymous_call("GET", "/app/assets/index-Bw0Y19bL.js", {},
                             server::header_list{{"accept-encoding", "gzip"}, {"if-none-match", std::string(packed.header("ETag").value_or(""))}})
                  .status,
              304);
    EXPECT_FALSE(bundle.header("Content-Encoding").has_value());
}

TEST_F(web_app_files, nothing_else_is_reachable_under_app) {
    for (const char* target : {"/app/.env", "/app/..%2Fsecret.txt", "/app/assets/..%2F..%2Fsecret.txt", "/app/assets/../../secret.txt",
                               "/app/secret.txt", "/app/index.php", "/app/assets/missing-abc.js"}) {
        const response r = anonymous_call("GET", target);
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(r.body.find("not for you"), std::string::npos) << target;
        EXPECT_EQ(r.body.find("KEY=1"), std::string::npos) << target;
        EXPECT_EQ(r.body.find("npm"), std::string::npos) << target << ": the app is built; no hint";
    }
    EXPECT_EQ(anonymous_call("GET", "/app/%00.js").status, 400); // a NUL in a path is refused outright
}

TEST_F(web_app_files, the_dashboard_is_served_the_same_way_from_its_own_build) {
    EXPECT_EQ(anonymous_call("GET", "/dashboard").header("Location"), "/dashboard/");
    const response page = anonymous_call("GET", "/dashboard/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.body, "<!doctype html><title>dashboard</title>");
    EXPECT_EQ(page.header("Cache-Control"), "no-cache");
    const response bundle = anonymous_call("GET", "/dashboard/assets/index-Qz81xT0a.js");
    EXPECT_EQ(bundle.body, "console.log(2);");
    EXPECT_EQ(bundle.header("Cache-Control"), "public, max-age=31536000, immutable");
    // Each build's files only under its own path.
    EXPECT_EQ(anonymous_call("GET", "/dashboard/assets/index-Bw0Y19bL.js").status, 404);
    EXPECT_EQ(anonymous_call("GET", "/dashboard/sw.js").status, 404);
    EXPECT_EQ(anonymous_call("GET", "/dashboard/assets/..%2F..%2Fsecret.txt").status, 404);
}

/// A web root where the app was never built.
const std::filesystem::path& unbuilt_root() {
    static test::temp_dir root;
    return root.path();
}

class web_app_not_built : public test::app_fixture {
protected:
    web_app_not_built() : app_fixture(0, with_root(unbuilt_root())) {}
};

TEST_F(web_app_not_built, says_how_to_build_it) {
    for (const char* target : {"/app/", "/dashboard/"}) {
        const response r = anonymous_call("GET", target);
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_NE(r.body.find("npm --prefix web run build"), std::string::npos) << target << ": " << r.body;
    }
}
