#include "server/idempotency.hpp"

#include "data/idempotency.hpp"
#include "geo/error.hpp"
#include "server/problem.hpp"

#include <sodium.h>

#include <array>

namespace plotmap::server {
namespace {

std::string key_of(std::string_view header) {
    std::string_view key = trim(header);
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    const bool printable = std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (key.empty() || key.size() > 255 || !printable) {
        throw bad_request("Idempotency-Key must be 1 to 255 printable ASCII characters, like \"8e03978e-40d5-43e8-bc93-6894a57f9324\"");
    }
    return std::string(key);
}

/// What makes two requests the same: method, path and query, and the body, except for
/// multipart bodies, whose boundary a browser picks anew for every send (their parts carry
/// their own uids).
std::string fingerprint(const request& req) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    const auto add = [&](std::string_view s) {
        crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(s.data()), s.size());
        crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>("\n"), 1);
    };
    add(req.method);
    add(req.target);
    const auto type = req.header("content-type");
    if (!(type && ascii_lower(*type).starts_with("multipart/"))) add(req.body);
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&state, digest.data());
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : digest) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
    }
    return out;
}

} // namespace

response with_idempotency(data::store& store, const idempotency_settings& s, const request& req, const std::function<response()>& handler) {
    const auto header = req.header("idempotency-key");
    const bool write = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
    if (!header || !write || !req.who) return handler();
    const std::string key = key_of(*header);
    const std::string owner = req.who->username;
    const data::key_claim claim = store.write([&](data::connection& c) {
        return data::claim_key(c, owner, key, req.method, req.target, fingerprint(req), s.ttl_s, s.abandoned_after_s);
    });
    switch (claim.outcome) {
    case data::key_claim::state::answered: {
        response replay;
        replay.status = claim.answer.status;
        replay.headers = claim.answer.headers;
        replay.body = claim.answer.body;
        replay.set("Idempotent-Replayed", "true");
        return replay;
    }
    case data::key_claim::state::in_progress:
        return problem(409, "a request with this Idempotency-Key is still being processed; retry in a moment", req.path);
    case data::key_claim::state::mismatch:
        return problem(422, "this Idempotency-Key was used for a different request (method, path or body); use a new key", req.path);
    case data::key_claim::state::claimed: break;
    }
    response res;
    try {
        res = handler();
    } catch (...) {
        try {
            const response answer = problem_for(std::current_exception(), req);
            if (answer.status >= 500 || answer.status == 429) {
                store.write([&](data::connection& c) { data::release_key(c, owner, key); });
            } else {
                store.write([&](data::connection& c) {
                    data::store_answer(c, owner, key, {answer.status, answer.headers, answer.body});
                });
            }
        } catch (...) {
        }
        throw;
    }
    if (res.status >= 500 || res.status == 429 || !res.body_file.empty()) {
        store.write([&](data::connection& c) { data::release_key(c, owner, key); });
    } else {
        std::vector<std::pair<std::string, std::string>> kept;
        for (const auto& [name, value] : res.headers) {
            const std::string n = ascii_lower(name);
            if (n == "content-type" || n == "etag" || n == "location" || n == "cache-control") kept.emplace_back(name, value);
        }
        store.write([&](data::connection& c) { data::store_answer(c, owner, key, {res.status, kept, res.body}); });
    }
    return res;
}

} // namespace plotmap::server
