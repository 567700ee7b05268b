// Photos and progress through the real server: real JPEGs and PNGs made here with libvips
// (EXIF orientation and GPS included), uploaded as multipart bodies, served back, checked
// by decoding them; hostile files; retries; scope; kill -9 during uploads; the timeline.

#include "data/database.hpp"
#include "data/users.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <vips/vips.h>
#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

using namespace plotmap;
using nlohmann::json;
using test::http_request;

namespace {

void start_vips() {
    static std::once_flag once;
    std::call_once(once, [] { ASSERT_EQ(VIPS_INIT("test_photos"), 0); });
}

/// A w x h sRGB image: left half red, right half blue (so rotations can be seen).
VipsImage* halves(int w, int h) {
    start_vips();
    VipsImage* x = nullptr;
    EXPECT_EQ(vips_xyz(&x, w, h, nullptr), 0);
    VipsImage* col = nullptr;
    vips_extract_band(x, &col, 0, nullptr);
    VipsImage* left = nullptr;
    vips_less_const1(col, &left, w / 2.0, nullptr); // 255 where x < w/2
    VipsImage* right = nullptr;
    vips_invert(left, &right, nullptr);
    VipsImage* zero = nullptr;
    vips_black(&zero, w, h, nullptr);
    VipsImage* zero8 = nullptr;
    vips_cast(zero, &zero8, VIPS_FORMAT_UCHAR, nullptr);
    VipsImage* bands[3] = {left, zero8, right};
    VipsImage* rgb = nullptr;
    EXPECT_EQ(vips_bandjoin(bands, &rgb, 3, nullptr), 0);
    VipsImage* out = nullptr;
    vips_copy(rgb, &out, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr);
    for (VipsImage* im : {x, col, left, right, zero, zero8, rgb}) g_object_unref(im);
    return out;
}

std::string save(VipsImage* im, const char* suffix) {
    void* buf = nullptr;
    size_t len = 0;
    EXPECT_EQ(vips_image_write_to_buffer(im, suffix, &buf, &len, nullptr), 0) << vips_error_buffer();
    std::string out(static_cast<const char*>(buf), len);
    g_free(buf);
    g_object_unref(im);
    return out;
}

/// A JPEG as a phone writes it: EXIF orientation, GPS and capture time.
std::string phone_jpeg(int w, int h, int orientation, bool gps) {
    VipsImage* im = halves(w, h);
    vips_image_set_int(im, "orientation", orientation);
    if (gps) {
        vips_image_set_string(im, "exif-ifd3-GPSLatitude", "17/1 0/1 2880/100");
        vips_image_set_string(im, "exif-ifd3-GPSLatitudeRef", "N");
        vips_image_set_string(im, "exif-ifd3-GPSLongitude", "99/1 49/1 2280/100");
        vips_image_set_string(im, "exif-ifd3-GPSLongitudeRef", "E");
        vips_image_set_string(im, "exif-ifd2-DateTimeOriginal", "2026:03:03 10:12:00");
    }
    return save(im, ".jpg[Q=90]");
}

std::string png(int w, int h) { return save(halves(w, h), ".png"); }

/// A PNG whose header claims 100,000 x 100,000 pixels: a decompression bomb's calling card.
std::string pixel_bomb() {
    const auto be32 = [](std::string& out, std::uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
    };
    const auto chunk = [&](std::string& out, const char* type, const std::string& data) {
        be32(out, static_cast<std::uint32_t>(data.size()));
        const std::string typed = std::string(type, 4) + data;
        out += typed;
        be32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()))));
    };
    std::string ihdr;
    be32(ihdr, 100000);
    be32(ihdr, 100000);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);
    std::string out("\x89PNG\r\n\x1a\n", 8);
    chunk(out, "IHDR", ihdr);
    chunk(out, "IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8));
    chunk(out, "IEND", "");
    return out;
}

/// What a served image is: size, band values at two points, whether EXIF GPS survives.
struct decoded {
    int width = 0;
    int height = 0;
    bool has_gps = false;
    int orientation = 1;
    std::vector<double> at(double fx, double fy) const { return pixel(fx, fy); }
    std::function<std::vector<double>(double, double)> pixel;
};

decoded decode(const std::string& bytes) {
    start_vips();
    decoded d;
    VipsImage* im = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
    if (im == nullptr) {
        ADD_FAILURE() << "not an image: " << vips_error_buffer();
        vips_error_clear();
        return d;
    }
    d.width = vips_image_get_width(im);
    d.height = vips_image_get_height(im);
    d.has_gps = vips_image_get_typeof(im, "exif-ifd3-GPSLatitude") != 0;
    d.orientation = vips_image_get_orientation(im);
    VipsImage* upright = nullptr;
    vips_autorot(im, &upright, nullptr);
    g_object_unref(im);
    std::shared_ptr<VipsImage> keep(upright, [](VipsImage* p) { g_object_unref(p); });
    d.pixel = [keep](double fx, double fy) {
        double* values = nullptr;
        int n = 0;
        const int x = static_cast<int>(fx * vips_image_get_width(keep.get()));
        const int y = static_cast<int>(fy * vips_image_get_height(keep.get()));
        vips_getpoint(keep.get(), &values, &n, x, y, nullptr);
        std::vector<double> out(values, values + n);
        g_free(values);
        return out;
    };
    return d;
}

bool reddish(const std::vector<double>& px) { return px.size() >= 3 && px[0] > 180 && px[2] < 80; }
bool bluish(const std::vector<double>& px) { return px.size() >= 3 && px[2] > 180 && px[0] < 80; }

std::string multipart(const std::string& boundary, const std::string& meta, const std::string& file, const std::string& filename,
                      const std::string& type) {
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n" +
                       meta + "\r\n";
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
            "\"\r\nContent-Type: " + type + "\r\n\r\n" + file + "\r\n--" + boundary + "--\r\n";
    return body;
}

class photos_http : public ::testing::Test {
protected:
    void SetUp() override {
        db = test::fresh_database(dir).string();
        start();
        plot_id = create_plot("00000000-0000-4000-8000-000000000001", 99.823, 17.0078);
    }

    void start() {
        server = std::make_unique<test::running_server>(db, std::vector<std::string>{"PLOTMAP_SERVER_ACCESS_LOG=false"});
        port = server->port;
    }

    std::int64_t create_plot(const std::string& uid, double lon, double lat) {
        char body[512];
        std::snprintf(body, sizeof body,
                      R"({"uid":"%s","program":"HLM","boundary":{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}})",
                      uid.c_str(), lon, lat, lon + 0.0005, lat, lon + 0.0005, lat + 0.0005, lon, lat + 0.0005, lon, lat);
        const auto r = http_request(port, "POST", "/api/v1/plots", body, "Content-Type: application/json\r\n" + test::admin_authorization());
        EXPECT_EQ(r.status, 201) << r.body;
        return json::parse(r.body)["id"].get<std::int64_t>();
    }

    test::http_reply upload(std::int64_t plot, const std::string& meta, const std::string& file, const std::string& filename = "photo.jpg",
                            const std::string& type = "image/jpeg", const std::string& auth = test::admin_authorization()) {
        const std::string boundary = "----plotmap-test-7d1e";
        return http_request(port, "POST", "/api/v1/plots/" + std::to_string(plot) + "/photos", multipart(boundary, meta, file, filename, type),
                            "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n" + auth);
    }

    /// A served file by its absolute link (the path after the host).
    test::http_reply fetch(const std::string& link, const std::string& headers = test::admin_authorization()) {
        const auto path = link.substr(link.find("/api/"));
        return http_request(port, "GET", path, {}, headers);
    }

    test::temp_dir dir;
    std::string db;
    std::unique_ptr<test::running_server> server;
    unsigned short port = 0;
    std::int64_t plot_id = 0;
};

} // namespace

TEST_F(photos_http, a_phone_photo_is_stored_upright_without_gps_in_three_sizes) {
    const std::string jpeg = phone_jpeg(1200, 900, 6, true);
    auto r = upload(plot_id, R"({"uid":"11111111-1111-4111-8111-111111111111","taken_at":"2026-03-03T10:12:00+07:00",)"
                                   R"("location":[99.8232,17.0080],"accuracy_m":4.5,"caption":"บ่อน้ำขุดเสร็จ","stage":"digging"})",
                          jpeg);
    ASSERT_EQ(r.status, 201) << r.body;
    const json p = json::parse(r.body);
    EXPECT_EQ(p["taken_at"], "2026-03-03T03:12:00.000Z");
    EXPECT_EQ(p["width"], 900); // upright: the EXIF orientation (6) turns 1200 x 900 a quarter
    EXPECT_EQ(p["height"], 1200);
    EXPECT_EQ(p["caption"], "บ่อน้ำขุดเสร็จ");
    EXPECT_EQ(p["accuracy_m"], 4.5);
    EXPECT_EQ(p["warnings"].size(), 0u) << p.dump();
    ASSERT_TRUE(p["exif"]["location"].is_array());
    EXPECT_NEAR(p["exif"]["location"][0].get<double>(), 99.8230, 1e-4);
    EXPECT_NEAR(p["exif"]["location"][1].get<double>(), 17.0080, 1e-4);
    EXPECT_EQ(p["exif"]["taken_at"], "2026-03-03T10:12:00");

    for (const char* size : {"original", "display", "thumbnail"}) {
        auto f = fetch(p["links"][size].get<std::string>());
        ASSERT_EQ(f.status, 200) << size << " " << f.body.substr(0, 200);
        EXPECT_EQ(f.headers["content-type"], "image/jpeg");
        EXPECT_NE(f.headers["cache-control"].find("max-age=31536000"), std::string::npos);
        EXPECT_NE(f.headers["cache-control"].find("private"), std::string::npos);
        const decoded d = decode(f.body);
        EXPECT_FALSE(d.has_gps) << size << ": EXIF GPS must not be served";
        // Shown upright: the red (left) half of the sensor image is now on top.
        EXPECT_TRUE(reddish(d.at(0.5, 0.2))) << size;
        EXPECT_TRUE(bluish(d.at(0.5, 0.8))) << size;
        if (std::string(size) == "thumbnail") {
            EXPECT_EQ(d.width, 240);
            EXPECT_EQ(d.height, 320);
            EXPECT_EQ(d.orientation, 1);
        }
        if (std::string(size) == "original") {
            // Same JPEG data (no re-encoding), only the orientation left in its EXIF.
            EXPECT_EQ(d.orientation, 6);
            EXPECT_LT(f.body.size(), jpeg.size());
            EXPECT_GT(f.body.size(), jpeg.size() - 2000);
        }
    }
    // The list, and the plot's JSON, know it.
    const json list = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/photos", {}, test::admin_authorization()).body);
    ASSERT_EQ(list["photos"].size(), 1u);
    EXPECT_EQ(list["photos"][0]["sha256"], p["sha256"]);
    const json plot = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id), {}, test::admin_authorization()).body);
    EXPECT_EQ(plot["photos"]["count"], 1);
    EXPECT_NE(plot["photos"]["latest"]["thumbnail"].get<std::string>().find(p["sha256"].get<std::string>()), std::string::npos);
}

TEST_F(photos_http, a_retried_upload_returns_the_same_photo_and_stores_one_copy) {
    const std::string jpeg = phone_jpeg(800, 600, 1, false);
    const std::string meta = R"({"uid":"22222222-2222-4222-8222-222222222222"})";
    auto first = upload(plot_id, meta, jpeg);
    ASSERT_EQ(first.status, 201) << first.body;
    for (int i = 0; i < 3; ++i) {
        auto again = upload(plot_id, meta, jpeg);
        ASSERT_EQ(again.status, 200) << again.body;
        EXPECT_EQ(json::parse(again.body)["id"], json::parse(first.body)["id"]);
    }
    const json list = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/photos", {}, test::admin_authorization()).body);
    EXPECT_EQ(list["photos"].size(), 1u);
    // One upload kept, plus its three served sizes; nothing left in tmp/.
    int files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(test::photo_folder(db))) files += e.is_regular_file() ? 1 : 0;
    EXPECT_EQ(files, 4);
    // The same uid on another plot is a conflict, not a silent move.
    const std::int64_t other = create_plot("00000000-0000-4000-8000-000000000002", 99.830, 17.0078);
    EXPECT_EQ(upload(other, meta, jpeg).status, 409);
}

TEST_F(photos_http, files_are_judged_by_their_content_and_bad_ones_get_clear_4xx) {
    // A PNG called photo.jpg and sent as image/jpeg is read as the PNG it is.
    auto as_png = upload(plot_id, "{}", png(400, 300), "photo.jpg", "image/jpeg");
    ASSERT_EQ(as_png.status, 201) << as_png.body;
    EXPECT_EQ(json::parse(as_png.body)["media_type"], "image/png");

    // An iPhone's HEIC is accepted and served as an upright JPEG.
    auto heic = upload(plot_id, "{}", save(halves(800, 600), ".heic[compression=hevc]"), "IMG_0001.HEIC", "image/heic");
    ASSERT_EQ(heic.status, 201) << heic.body;
    EXPECT_EQ(json::parse(heic.body)["media_type"], "image/jpeg");
    const auto heic_original = fetch(json::parse(heic.body)["links"]["original"]);
    EXPECT_EQ(heic_original.status, 200);
    EXPECT_EQ(decode(heic_original.body).width, 800);

    const std::string jpeg = phone_jpeg(800, 600, 1, false);
    auto truncated = upload(plot_id, "{}", jpeg.substr(0, jpeg.size() * 6 / 10));
    EXPECT_EQ(truncated.status, 422) << truncated.body;
    EXPECT_EQ(truncated.headers["content-type"], "application/problem+json");
    EXPECT_NE(truncated.body.find("truncated"), std::string::npos) << truncated.body;

    auto bomb = upload(plot_id, "{}", pixel_bomb(), "bomb.png", "image/png");
    EXPECT_EQ(bomb.status, 422) << bomb.body;
    EXPECT_NE(bomb.body.find("100000 x 100000"), std::string::npos) << bomb.body;

    auto text = upload(plot_id, "{}", "just some words, not a picture\n", "notes.jpg", "image/jpeg");
    EXPECT_EQ(text.status, 415) << text.body;

    auto bad_meta = upload(plot_id, R"({"uid":"not-a-uuid"})", jpeg);
    EXPECT_EQ(bad_meta.status, 400) << bad_meta.body;
    EXPECT_EQ(upload(plot_id, R"({"colour":"red"})", jpeg).status, 400);
    EXPECT_EQ(upload(plot_id, R"({"stage":"harvest"})", jpeg).status, 400);
    EXPECT_EQ(upload(plot_id, R"({"taken_at":"2026-02-30T10:00:00+07:00"})", jpeg).status, 400);
    EXPECT_EQ(upload(plot_id, R"({"location":[999,17]})", jpeg).status, 400);
    EXPECT_EQ(upload(plot_id, "{not json", jpeg).status, 400);

    // Not multipart at all; a multipart body cut short; a body over the limit (refused
    // before it is read).
    EXPECT_EQ(http_request(port, "POST", "/api/v1/plots/" + std::to_string(plot_id) + "/photos", jpeg,
                           "Content-Type: image/jpeg\r\n" + test::admin_authorization()).status, 415);
    const std::string boundary = "xyz";
    const std::string whole = multipart(boundary, "{}", jpeg, "a.jpg", "image/jpeg");
    const auto cut = http_request(port, "POST", "/api/v1/plots/" + std::to_string(plot_id) + "/photos", whole.substr(0, whole.size() / 2),
                                  "Content-Type: multipart/form-data; boundary=xyz\r\n" + test::admin_authorization());
    EXPECT_EQ(cut.status, 400) << cut.body;
    test::http_connection big(port);
    ASSERT_TRUE(big.send_raw("POST /api/v1/plots/" + std::to_string(plot_id) + "/photos HTTP/1.1\r\nHost: x\r\n" + test::admin_authorization() +
                             "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 999999999\r\n\r\n"));
    EXPECT_EQ(big.read_reply().status, 413);

    // Only the PNG and the HEIC were kept; the server still serves; nothing is left in tmp/.
    const json list = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/photos", {}, test::admin_authorization()).body);
    EXPECT_EQ(list["photos"].size(), 2u);
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
    std::size_t leftovers = 0;
    for (const auto& e : std::filesystem::directory_iterator(test::photo_folder(db) + "/tmp")) leftovers += e.is_regular_file() ? 1u : 0u;
    EXPECT_EQ(leftovers, 0u);
}

TEST_F(photos_http, photos_are_personal_data_seen_in_scope_or_when_made_public) {
    auto up = upload(plot_id, R"({"location":[99.8232,17.0080]})", phone_jpeg(640, 480, 1, false));
    ASSERT_EQ(up.status, 201) << up.body;
    const json p = json::parse(up.body);
    const std::string thumb = p["links"]["thumbnail"];
    // A photo of a plot in another province, for an officer scoped to this plot's district.
    const std::int64_t far_plot = create_plot("00000000-0000-4000-8000-000000000009", 100.5200, 13.7500);
    const json near = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id)).body);
    std::string officer_token;
    {
        data::connection c(db, data::connection::mode::read_write);
        (void)data::add_user(c, {"officer", data::role::staff, near["adm2"].get<std::string>(), "officer-password-1"}, std::string("admin"));
        officer_token = data::create_token(c, "officer", "test", true, near["adm2"].get<std::string>()).token;
    }
    const std::string officer = "Authorization: Bearer " + officer_token + "\r\n";
    EXPECT_EQ(fetch(thumb, officer).status, 200);
    auto elsewhere = upload(far_plot, "{}", phone_jpeg(640, 480, 1, false), "a.jpg", "image/jpeg", officer);
    EXPECT_EQ(elsewhere.status, 403) << elsewhere.body;
    auto far_photo = upload(far_plot, "{}", phone_jpeg(640, 480, 1, false));
    ASSERT_EQ(far_photo.status, 201);
    EXPECT_EQ(fetch(json::parse(far_photo.body)["links"]["thumbnail"], officer).status, 403);
    // Anonymous: 401 for the file, an empty list, and no photo link on the public plot.
    EXPECT_EQ(fetch(thumb, "").status, 401);
    EXPECT_EQ(json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/photos").body)["photos"].size(), 0u);
    EXPECT_TRUE(json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id)).body)["photos"]["latest"].is_null());
    EXPECT_EQ(json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id)).body)["photos"]["count"], 1);
    // An officer cannot make it public; an admin can, and then anyone sees it.
    const std::string photo_url = "/api/v1/photos/" + std::to_string(p["id"].get<int>());
    EXPECT_EQ(http_request(port, "PATCH", photo_url, R"({"public":true})", "Content-Type: application/json\r\n" + officer).status, 403);
    ASSERT_EQ(http_request(port, "PATCH", photo_url, R"({"public":true})", "Content-Type: application/json\r\n" + test::admin_authorization()).status, 200);
    auto anonymous = fetch(thumb, "");
    EXPECT_EQ(anonymous.status, 200);
    EXPECT_NE(anonymous.headers["cache-control"].find("public"), std::string::npos);
    const json listed = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/photos").body);
    ASSERT_EQ(listed["photos"].size(), 1u);
    EXPECT_FALSE(listed["photos"][0].contains("uploaded_by"));
    EXPECT_FALSE(listed["photos"][0].contains("exif"));
    EXPECT_FALSE(json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id)).body)["photos"]["latest"].is_null());
}

TEST_F(photos_http, files_answer_ranges_and_conditional_requests) {
    auto up = upload(plot_id, "{}", phone_jpeg(1000, 800, 1, false));
    ASSERT_EQ(up.status, 201);
    const std::string link = json::parse(up.body)["links"]["original"];
    auto whole = fetch(link);
    ASSERT_EQ(whole.status, 200);
    EXPECT_EQ(whole.headers["accept-ranges"], "bytes");
    const std::string etag = whole.headers["etag"];
    const std::string size = std::to_string(whole.body.size());
    auto first = fetch(link, test::admin_authorization() + "Range: bytes=0-99\r\n");
    EXPECT_EQ(first.status, 206);
    EXPECT_EQ(first.body, whole.body.substr(0, 100));
    EXPECT_EQ(first.headers["content-range"], "bytes 0-99/" + size);
    auto tail = fetch(link, test::admin_authorization() + "Range: bytes=-10\r\n");
    EXPECT_EQ(tail.status, 206);
    EXPECT_EQ(tail.body, whole.body.substr(whole.body.size() - 10));
    auto open_end = fetch(link, test::admin_authorization() + "Range: bytes=100-\r\n");
    EXPECT_EQ(open_end.body, whole.body.substr(100));
    auto past = fetch(link, test::admin_authorization() + "Range: bytes=99999999-\r\n");
    EXPECT_EQ(past.status, 416);
    EXPECT_EQ(past.headers["content-range"], "bytes */" + size);
    EXPECT_EQ(fetch(link, test::admin_authorization() + "Range: bytes=0-9\r\nIf-Range: \"other\"\r\n").status, 200);
    EXPECT_EQ(fetch(link, test::admin_authorization() + "Range: bytes=0-9\r\nIf-Range: " + etag + "\r\n").status, 206);
    EXPECT_EQ(fetch(link, test::admin_authorization() + "If-None-Match: " + etag + "\r\n").status, 304);
    // A hash that is not the photo's is not found.
    std::string wrong = link;
    wrong[wrong.find("/original") - 1] = wrong[wrong.find("/original") - 1] == 'a' ? 'b' : 'a';
    EXPECT_EQ(fetch(wrong).status, 404);
}

TEST_F(photos_http, progress_events_and_photos_make_one_timeline_in_date_order) {
    const std::string plot_url = "/api/v1/plots/" + std::to_string(plot_id);
    const std::string auth = "Content-Type: application/json\r\n" + test::admin_authorization();
    // A photo uploaded first, then the event naming it; a second photo names the event itself.
    auto before = upload(plot_id, R"({"uid":"33333333-3333-4333-8333-333333333333","taken_at":"2026-03-03T09:00:00+07:00"})",
                               phone_jpeg(640, 480, 1, false));
    ASSERT_EQ(before.status, 201);
    const auto event = http_request(port, "POST", plot_url + "/progress",
                                    R"({"uid":"44444444-4444-4444-8444-444444444444","stage":"digging","date":"2026-03-03",)"
                                    R"("note":"ขุดบ่อเสร็จ","photos":["33333333-3333-4333-8333-333333333333"]})",
                                    auth + "If-Match: \"1\"\r\n");
    ASSERT_EQ(event.status, 201) << event.body;
    EXPECT_EQ(json::parse(event.body)["plot"]["stage"], "digging");
    EXPECT_EQ(json::parse(event.body)["plot"]["stage_changed_at"], "2026-03-03T05:00:00.000Z");
    // Retried: the same event, nothing new.
    const auto again = http_request(port, "POST", plot_url + "/progress",
                                    R"({"uid":"44444444-4444-4444-8444-444444444444","stage":"digging","date":"2026-03-03"})",
                                    auth + "If-Match: \"1\"\r\n");
    EXPECT_EQ(again.status, 200) << again.body;
    ASSERT_EQ(upload(plot_id, R"({"progress_uid":"44444444-4444-4444-8444-444444444444","taken_at":"2026-03-03T10:00:00+07:00"})",
                     phone_jpeg(640, 480, 1, false)).status, 201);
    // A later edit, and a photo on its own.
    ASSERT_EQ(http_request(port, "PATCH", plot_url, R"({"name":"แปลงนายสมชาย"})", auth + "If-Match: \"2\"\r\n").status, 200);
    ASSERT_EQ(upload(plot_id, R"({"taken_at":"2026-02-01T08:00:00+07:00","caption":"ก่อนเริ่ม"})", phone_jpeg(640, 480, 1, false)).status, 201);
    // Bad events: a future date, an unknown stage, no If-Match.
    EXPECT_EQ(http_request(port, "POST", plot_url + "/progress", R"({"stage":"planting","date":"2999-01-01"})", auth + "If-Match: \"3\"\r\n").status, 400);
    EXPECT_EQ(http_request(port, "POST", plot_url + "/progress", R"({"stage":"flying","date":"2026-03-04"})", auth + "If-Match: \"3\"\r\n").status, 400);
    EXPECT_EQ(http_request(port, "POST", plot_url + "/progress", R"({"stage":"planting","date":"2026-03-04"})", auth).status, 428);

    const auto t = http_request(port, "GET", plot_url + "/timeline", {}, test::admin_authorization());
    ASSERT_EQ(t.status, 200) << t.body;
    const json entries = json::parse(t.body)["entries"];
    std::vector<std::string> kinds;
    std::string previous;
    for (const auto& e : entries) {
        kinds.push_back(e["kind"]);
        EXPECT_LE(previous, e["at"].get<std::string>()) << "entries in date order";
        previous = e["at"];
    }
    // The photo of 1 February, the event of 3 March (with both its photos), then the plot's
    // creation and the edit (recorded today, after the dates above).
    EXPECT_EQ(kinds, (std::vector<std::string>{"photo", "progress", "created", "edited"})) << entries.dump(1);
    const json& progress = entries[1];
    EXPECT_EQ(progress["date"], "2026-03-03");
    EXPECT_EQ(progress["stage_from"], "surveyed");
    EXPECT_EQ(progress["stage_to"], "digging");
    EXPECT_EQ(progress["note"], "ขุดบ่อเสร็จ");
    EXPECT_EQ(progress["by"], "admin");
    EXPECT_EQ(progress["photos"].size(), 2u);
    EXPECT_EQ(entries[0]["photo"]["caption"], "ก่อนเริ่ม");
    // Anonymous readers get no timeline.
    EXPECT_EQ(http_request(port, "GET", plot_url + "/timeline").status, 401);
}

TEST_F(photos_http, deleting_and_restoring_a_photo_is_in_the_timeline) {
    auto up = upload(plot_id, "{}", phone_jpeg(640, 480, 1, false));
    ASSERT_EQ(up.status, 201);
    const std::string url = "/api/v1/photos/" + std::to_string(json::parse(up.body)["id"].get<int>());
    ASSERT_EQ(http_request(port, "DELETE", url, {}, test::admin_authorization()).status, 200);
    const std::string list = "/api/v1/plots/" + std::to_string(plot_id) + "/photos";
    EXPECT_EQ(json::parse(http_request(port, "GET", list, {}, test::admin_authorization()).body)["photos"].size(), 0u);
    EXPECT_EQ(json::parse(http_request(port, "GET", list + "?deleted=include", {}, test::admin_authorization()).body)["photos"].size(), 1u);
    ASSERT_EQ(http_request(port, "POST", url + "/restore", {}, test::admin_authorization()).status, 200);
    EXPECT_EQ(json::parse(http_request(port, "GET", list, {}, test::admin_authorization()).body)["photos"].size(), 1u);
    const json entries = json::parse(http_request(port, "GET", "/api/v1/plots/" + std::to_string(plot_id) + "/timeline", {},
                                                  test::admin_authorization()).body)["entries"];
    std::vector<std::string> kinds;
    for (const auto& e : entries) kinds.push_back(e["kind"]);
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "photo_delete"), kinds.end());
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "photo_restore"), kinds.end());
}

TEST_F(photos_http, kill_9_during_uploads_leaves_no_row_without_its_files) {
    constexpr int uploaders = 4;
    std::atomic<bool> stop{false};
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> threads;
    std::mutex m;
    std::vector<std::string> acked_uids;
    for (int t = 0; t < uploaders; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 40 && !stop; ++i) {
                char uid[64];
                std::snprintf(uid, sizeof uid, "55555555-5555-4555-8555-%012d", t * 100 + i);
                try {
                    auto r = upload(plot_id, std::string(R"({"uid":")") + uid + "\"}", phone_jpeg(1600 + i, 1200, 1, true));
                    if (r.status == 201) {
                        ++acknowledged;
                        const std::lock_guard lock(m);
                        acked_uids.emplace_back(uid);
                    }
                } catch (const std::exception&) {
                }
            }
        });
    }
    // Let some uploads land, then kill the server without warning.
    for (int i = 0; i < 300 && acknowledged < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(server->process.pid(), SIGKILL);
    stop = true;
    for (auto& th : threads) th.join();
    ASSERT_GE(acknowledged.load(), 1);

    data::connection c(db, data::connection::mode::read_only);
    data::statement st = c.prepare("SELECT uid, sha256, media_type FROM photos");
    int rows = 0;
    std::vector<std::string> stored;
    while (st.step()) {
        ++rows;
        const std::string sha(st.text(1));
        const std::string folder = test::photo_folder(db) + "/" + sha.substr(0, 2) + "/";
        stored.emplace_back(st.text(0));
        for (const std::string& name : {sha, sha + "-display.jpg", sha + "-thumbnail.jpg", sha + "-original.jpg"}) {
            EXPECT_TRUE(std::filesystem::exists(folder + name)) << name;
            EXPECT_GT(std::filesystem::file_size(folder + name), 0u) << name;
        }
    }
    // Every acknowledged upload is there.
    for (const auto& uid : acked_uids) EXPECT_NE(std::find(stored.begin(), stored.end(), uid), stored.end()) << uid;
    EXPECT_GE(rows, acknowledged.load());
    // And after a restart the sweep keeps every named file.
    start();
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
}

TEST_F(photos_http, backup_copies_the_photos_sweep_removes_only_old_unnamed_files) {
    PLOTMAP_SQLITE_ONLY("a backup is a copy of the SQLite file");
    ASSERT_EQ(upload(plot_id, "{}", phone_jpeg(640, 480, 1, false)).status, 201);
    ASSERT_EQ(upload(plot_id, "{}", png(300, 200), "b.png", "image/png").status, 201);
    const std::filesystem::path photos = db + ".photos";
    // Two files no row names: one written two hours ago (a crash's leftover), one just now
    // (as an upload under way would be).
    std::filesystem::create_directories(photos / "ab");
    const std::filesystem::path old_orphan = photos / "ab" / std::string(64, 'a');
    const std::filesystem::path new_orphan = photos / "ab" / std::string(64, 'b');
    for (const auto& p : {old_orphan, new_orphan}) std::ofstream(p) << "leftover";
    std::filesystem::last_write_time(old_orphan, std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));

    const auto sweep = test::run_command({PLOTMAP_BINARY, "photos", "sweep", "--db", db});
    ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
    EXPECT_NE(sweep.output.find("removed 1 photo files"), std::string::npos) << sweep.output;
    EXPECT_FALSE(std::filesystem::exists(old_orphan));
    EXPECT_TRUE(std::filesystem::exists(new_orphan));

    // A backup while the server runs holds both photos' files; a restore puts them in place.
    const std::string copy = (dir / "copy.sqlite").string();
    const auto backup = test::run_command({PLOTMAP_BINARY, "backup", "--db", db, copy});
    ASSERT_EQ(backup.exit_code, 0) << backup.output;
    EXPECT_NE(backup.output.find("2 photos in 8 files"), std::string::npos) << backup.output;
    int files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(copy + ".photos")) files += e.is_regular_file() ? 1 : 0;
    EXPECT_EQ(files, 8);
    const std::string target = (dir / "restored.sqlite").string();
    const auto restore = test::run_command({PLOTMAP_BINARY, "restore", "--db", target, copy});
    ASSERT_EQ(restore.exit_code, 0) << restore.output;
    int restored = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(target + ".photos")) restored += e.is_regular_file() ? 1 : 0;
    EXPECT_EQ(restored, 8);
    // A backup missing a photo file is refused on restore.
    for (const auto& e : std::filesystem::recursive_directory_iterator(copy + ".photos")) {
        if (e.path().string().ends_with("-thumbnail.jpg")) {
            std::filesystem::remove(e.path());
            break;
        }
    }
    const auto broken = test::run_command({PLOTMAP_BINARY, "restore", "--db", (dir / "again.sqlite").string(), copy});
    EXPECT_NE(broken.exit_code, 0);
    EXPECT_NE(broken.output.find("missing"), std::string::npos) << broken.output;
}

TEST_F(photos_http, a_photo_over_a_slow_connection_gets_time_by_its_size_not_the_header_timeout) {
    server.reset();
    server = std::make_unique<test::running_server>(db, std::vector<std::string>{"PLOTMAP_SERVER_ACCESS_LOG=false",
                                                                                 "PLOTMAP_SERVER_READ_TIMEOUT_S=2"});
    port = server->port;
    const std::string boundary = "slow";
    // A photo and a part the route does not read, 160 KB in all: at 16 KiB/s, 10 s beyond the
    // 2 s read timeout.
    const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n" +
                             std::string(128000, 'x') + "\r\n" +
                             multipart(boundary, "{}", phone_jpeg(1200, 900, 1, false), "a.jpg", "image/jpeg");
    ASSERT_GT(body.size(), 150000u);
    test::http_connection c(port, std::chrono::seconds(15));
    ASSERT_TRUE(c.send_raw("POST /api/v1/plots/" + std::to_string(plot_id) + "/photos HTTP/1.1\r\nHost: x\r\n" + test::admin_authorization() +
                           "Content-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n"));
    // Four pieces over 3 seconds: slower than read_timeout_s allows a whole request.
    const std::size_t piece = body.size() / 4 + 1;
    for (std::size_t at = 0; at < body.size(); at += piece) {
        ASSERT_TRUE(c.send_raw(body.substr(at, piece)));
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    EXPECT_EQ(c.read_reply().status, 201);
}
