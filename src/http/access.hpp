#pragma once
// Access control for the v1 API (DESIGN §7): API keys stored as hashes,
// a token bucket per key, a cap on each key's unfinished jobs, and
// HMAC-signed URLs for the synchronous GET. See docs/security.md.
//
// Everything here runs on the server's one strand (single-threaded), so the
// per-key state needs no locks; the counts are per process.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/asio.hpp"
#include "core/error.hpp"
#include "http/router.hpp"

namespace shot::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The keys file: `NAME SHA256HEX` a line, `#` comments and blank lines allowed.
class KeyRing {
 public:
  struct Key {
    std::string name;
    std::string hash;  // lower-case hex SHA-256 of the key
  };

  // Errors (invalid_argument) name `source` and the line number.
  static Result<KeyRing> parse(std::string_view text, std::string_view source = "keys file");
  static Result<KeyRing> load(const std::string& path);

  // The name of the key whose hash is sha256(presented); compared in constant time.
  std::optional<std::string> find(std::string_view presented) const;
  bool has_name(std::string_view name) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<Key> keys_;
};

// A fresh key ("shot_" + 64 hex chars) and its keys-file line.
struct NewKey {
  std::string key;
  std::string line;  // "NAME SHA256HEX"
};
Result<NewKey> make_key(std::string_view name);
// Key names: 1-64 of [A-Za-z0-9._-] (they end up in logs and the job store).
bool valid_key_name(std::string_view name);

// `rate` tokens a second up to `burst`; starts full. Time is passed in, so
// tests need no clock.
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  TokenBucket(double rate_per_second, double burst, TimePoint now);

  // Takes one token if there is one.
  bool take(TimePoint now);
  // How long until a token is there (zero when one is).
  std::chrono::milliseconds wait(TimePoint now) const;
  double tokens(TimePoint now) const;

 private:
  double rate_, burst_, tokens_;
  TimePoint at_;
};

// Signed URLs: signature = hex HMAC-SHA256(secret, "GET\n" + path + "\n" +
// canonical_query). An optional `expires` (unix seconds) is signed like any
// other parameter and refused once past.
class UrlSigner {
 public:
  explicit UrlSigner(std::string secret) : secret_(std::move(secret)) {}

  // Every parameter except `signature`: names and values (decoded) percent-
  // encoded with the RFC 3986 unreserved set (upper-case hex), sorted by
  // encoded name then encoded value, joined as name=value with '&'.
  static std::string canonical_query(const QueryParams& query);
  static std::string encode(std::string_view text);

  std::string sign(std::string_view path, const QueryParams& query) const;
  // path + "?" + the encoded query with `signature` appended: a ready link.
  std::string signed_target(std::string_view path, QueryParams query) const;
  // forbidden (field "signature" or "expires") unless the signature matches
  // and `expires`, if given, is after `now_unix`.
  Result<void> verify(std::string_view path, const QueryParams& query, std::int64_t now_unix) const;

 private:
  std::string secret_;
};

// What the guard needs to know about a job (JobService in production).
struct JobFacts {
  std::string owner;
  bool finished = false;
};
// not_found for an unknown job.
using JobLookup = std::function<Task<Result<JobFacts>>(std::string job_id)>;

struct AccessOptions {
  double rate_per_second = 10;
  double rate_burst = 20;
  int max_jobs_per_key = 10;   // unfinished jobs; 0 = no cap
  std::string signing_secret;  // empty: signed URLs are refused
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
  std::function<std::int64_t()> unix_now;  // default: the system clock
};

// What a route needs from the guard.
enum class Scope {
  api,         // an API key
  job,         // an API key, and the job {id} must be the key's
  create_job,  // an API key, within the key's cap of unfinished jobs
  signed_get,  // an API key, or a valid `signature` (GET /v1/screenshot)
};

class AccessControl {
 public:
  AccessControl(KeyRing keys, AccessOptions options, JobLookup jobs);

  // The key name for a request's `Authorization: Bearer KEY`, else the 401 problem.
  std::expected<std::string, Response> authenticate(const Request& request) const;
  // Takes a token from `name`'s bucket; the 429 problem when it is empty.
  std::optional<Response> charge(const std::string& name);
  // The 403 problem unless the request carries a valid signature.
  std::optional<Response> check_signature(const Request& request) const;

  // Runs `inner` if `request` passes `scope`'s checks; sets request.principal.
  Task<Response> handle(Request& request, const Handler& inner, Scope scope);

  const KeyRing& keys() const { return keys_; }

 private:
  struct Owner {
    std::optional<TokenBucket> bucket;
    std::set<std::string> jobs;  // submitted here, not yet seen finished
    int pending = 0;             // submissions in progress
  };
  Task<std::size_t> unfinished_jobs(const std::string& name);

  KeyRing keys_;
  AccessOptions options_;
  JobLookup lookup_;
  std::optional<UrlSigner> signer_;
  std::map<std::string, Owner> owners_;  // bounded: names come from the keys file
};

// `handler` behind `access`'s checks for `scope`.
Handler guarded(Handler handler, AccessControl& access, Scope scope);

}  // namespace shot::http
