#pragma once
// The Idempotency-Key header on write routes (IETF draft-ietf-httpapi-idempotency-key-header):
// the first answer to a key is stored with it and replayed to every retry of the same
// request, so a client whose answer was lost (a dropped connection after the server
// committed) never gets a duplicate or a false 412. See docs/api.md.

#include "data/store.hpp"
#include "server/http.hpp"

#include <functional>

namespace plotmap::server {

struct idempotency_settings {
    std::int64_t ttl_s = 2592000;          ///< how long an answer is kept (30 days: phones stay offline for weeks)
    std::int64_t abandoned_after_s = 120;  ///< a claim without an answer this old belonged to a server that died
};

/// Runs `handler` for a write request that carries an Idempotency-Key (else just runs it):
/// the first time, stores its answer (unless 5xx or 429, which a retry should repeat); for a
/// retry of the same request (method, path, body) replays the stored answer with
/// `Idempotent-Replayed: true`; the key on another request is 422; the same request still
/// running is 409. Keys belong to the signed-in user.
/// @throws bad_request for a malformed key (1-255 printable ASCII characters, quoted or not).
[[nodiscard]] response with_idempotency(data::store& store, const idempotency_settings& s, const request& req,
                                        const std::function<response()>& handler);

} // namespace plotmap::server
