#pragma once
// Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): a client that retries a
// write whose answer it never got sends the same Idempotency-Key, and gets the first answer
// back instead of a duplicate or a false conflict. Keys belong to the user who sent them and
// are kept for a configured time.

#include "data/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plotmap::data {

/// The answer stored for a key.
struct stored_answer {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// What claiming a key found.
struct key_claim {
    enum class state {
        claimed,     ///< new (or abandoned and taken over): run the request, then store_answer
        answered,    ///< the same request was answered before: replay `answer`
        in_progress, ///< the same request is running right now (409)
        mismatch,    ///< the key was used for a different request (422)
    } outcome = state::claimed;
    stored_answer answer;
};

/// Claims `key` of `owner` for a request identified by method, path and body fingerprint.
/// A claim older than `abandoned_after_s` without an answer (its server died) is taken over.
/// Keys older than `ttl_s` are forgotten first.
key_claim claim_key(connection& c, const std::string& owner, const std::string& key, const std::string& method,
                    const std::string& path, const std::string& fingerprint, std::int64_t ttl_s, std::int64_t abandoned_after_s);

/// Stores the answer of a claimed key.
void store_answer(connection& c, const std::string& owner, const std::string& key, const stored_answer& answer);

/// Gives a claimed key up (the request failed in a way a retry may not: 5xx, 429).
void release_key(connection& c, const std::string& owner, const std::string& key);

} // namespace plotmap::data
