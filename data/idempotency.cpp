#include "data/idempotency.hpp"

#include "data/clock.hpp"

#include <nlohmann/json.hpp>

namespace plotmap::data {

key_claim claim_key(connection& c, const std::string& owner, const std::string& key, const std::string& method,
                    const std::string& path, const std::string& fingerprint, std::int64_t ttl_s, std::int64_t abandoned_after_s) {
    const std::int64_t now = unix_now();
    transaction tx(c);
    c.cached("DELETE FROM idempotency_keys WHERE created_at < ?").bind(1, now - ttl_s).run();
    key_claim out;
    {
        cached_query st(c, "SELECT method, path, fingerprint, status, headers, body, created_at FROM idempotency_keys "
                           "WHERE owner = ? AND key = ?");
        st->bind(1, owner).bind(2, key);
        if (st->step()) {
            if (st->text(0) != method || st->text(1) != path || st->text(2) != fingerprint) {
                out.outcome = key_claim::state::mismatch;
                return out;
            }
            if (!st->is_null(3)) {
                out.outcome = key_claim::state::answered;
                out.answer.status = static_cast<int>(st->int64(3));
                const nlohmann::json headers = nlohmann::json::parse(st->text(4));
                for (const auto& [name, value] : headers.items()) out.answer.headers.emplace_back(name, value.get<std::string>());
                out.answer.body = std::string(st->blob(5));
                return out;
            }
            if (st->int64(6) > now - abandoned_after_s) {
                out.outcome = key_claim::state::in_progress;
                return out;
            }
        }
    }
    // A claim abandoned long ago (no answer stored) is taken over: its row starts again.
    c.cached("INSERT INTO idempotency_keys (owner, key, method, path, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (owner, key) DO UPDATE SET method = excluded.method, path = excluded.path, fingerprint = excluded.fingerprint, "
             "status = NULL, headers = NULL, body = NULL, created_at = excluded.created_at")
        .bind(1, owner)
        .bind(2, key)
        .bind(3, method)
        .bind(4, path)
        .bind(5, fingerprint)
        .bind(6, now)
        .run();
    tx.commit();
    return out;
}

void store_answer(connection& c, const std::string& owner, const std::string& key, const stored_answer& answer) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : answer.headers) headers[name] = value;
    c.cached("UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE owner = ? AND key = ?")
        .bind(1, answer.status)
        .bind(2, headers.dump())
        .bind_blob(3, answer.body)
        .bind(4, owner)
        .bind(5, key)
        .run();
}

void release_key(connection& c, const std::string& owner, const std::string& key) {
    c.cached("DELETE FROM idempotency_keys WHERE owner = ? AND key = ?").bind(1, owner).bind(2, key).run();
}

} // namespace plotmap::data
