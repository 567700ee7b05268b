#include "server/problem.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"
#include "server/router.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace plotmap::server {

response problem(int status, const std::string& detail, const std::string& instance) {
    nlohmann::json body{{"type", "about:blank"}, {"title", std::string(reason_phrase(status))}, {"status", status},
                        {"detail", detail}};
    if (!instance.empty()) body["instance"] = instance;
    response r = make_response(status, "application/problem+json", geo::json_text(body));
    r.set("Cache-Control", "no-store");
    return r;
}

response problem_for(std::exception_ptr error, const request& req) {
    try {
        std::rethrow_exception(error);
    } catch (const method_not_allowed& e) {
        response r = problem(405, e.what(), req.path);
        r.set("Allow", e.allow);
        return r;
    } catch (const unsupported_media_type& e) {
        return problem(415, e.what(), req.path);
    } catch (const precondition_failed& e) {
        response r = problem(412, e.what(), req.path);
        auto body = nlohmann::json::parse(r.body);
        body["current_version"] = e.current_version;
        r.body = geo::json_text(body);
        r.set("ETag", "\"" + std::to_string(e.current_version) + "\"");
        return r;
    } catch (const precondition_required& e) {
        return problem(428, e.what(), req.path);
    } catch (const bad_request& e) {
        return problem(400, e.what(), req.path);
    } catch (const not_found& e) {
        return problem(404, e.what(), req.path);
    } catch (const not_allowed_now& e) {
        response r = problem(409, e.what(), req.path);
        auto body = nlohmann::json::parse(r.body);
        body["allowed"] = e.allowed;
        r.body = geo::json_text(body);
        return r;
    } catch (const conflict& e) {
        return problem(409, e.what(), req.path);
    } catch (const invalid_geometry& e) {
        return problem(422, e.what(), req.path);
    } catch (const unprocessable& e) {
        return problem(422, e.what(), req.path);
    } catch (const unauthorized& e) {
        response r = problem(401, e.what(), req.path);
        r.set("WWW-Authenticate", "Bearer realm=\"plotmap\"");
        return r;
    } catch (const forbidden& e) {
        return problem(403, e.what(), req.path);
    } catch (const too_many_requests& e) {
        response r = problem(429, e.what(), req.path);
        r.set("Retry-After", std::to_string(e.retry_after_seconds));
        return r;
    } catch (const payload_too_large& e) {
        return problem(413, e.what(), req.path);
    } catch (const busy& e) {
        response r = problem(503, e.what(), req.path);
        r.set("Retry-After", std::to_string(e.retry_after_seconds));
        return r;
    } catch (const std::exception& e) {
        std::cerr << "plotmap: error in request " << req.request_id << " (" << req.method << " " << req.path
                  << "): " << e.what() << std::endl;
    } catch (...) {
        std::cerr << "plotmap: unknown error in request " << req.request_id << std::endl;
    }
    return internal_error(req);
}

response internal_error(const request& req) noexcept {
    try {
        response r = problem(500, "internal error; quote request id " + req.request_id + " when reporting it", req.path);
        r.set("X-Request-Id", req.request_id);
        return r;
    } catch (...) {
        response bare;
        bare.status = 500;
        return bare;
    }
}

} // namespace plotmap::server
