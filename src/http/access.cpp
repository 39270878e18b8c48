#include "http/access.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/digest.hpp"
#include "core/id.hpp"
#include "core/strings.hpp"

namespace shot::http {
namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response unauthorized(std::string detail, bool presented) {
  Response r = problem(401, "Unauthorized", std::move(detail), "Authorization");
  r.set_header("WWW-Authenticate", presented ? R"(Bearer realm="shot", error="invalid_token")"
                                             : R"(Bearer realm="shot")");
  return r;
}

Response forbidden(std::string detail, std::string field) {
  return problem(403, "Forbidden", std::move(detail), std::move(field));
}

Response too_many(std::string detail, std::chrono::milliseconds wait, std::string field) {
  Response r = problem(429, "Too Many Requests", std::move(detail), std::move(field));
  // Whole seconds, rounded up, so a client that obeys finds a token.
  auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  set_retry_after(r, std::max(seconds, std::chrono::seconds(1)));
  return r;
}

// Releases a submission's reservation however the request ends.
class PendingSlot {
 public:
  explicit PendingSlot(int& pending) : pending_(pending) { ++pending_; }
  ~PendingSlot() { --pending_; }
  PendingSlot(const PendingSlot&) = delete;
  PendingSlot& operator=(const PendingSlot&) = delete;

 private:
  int& pending_;
};

}  // namespace

// ---- KeyRing

bool valid_key_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Result<KeyRing> KeyRing::parse(std::string_view text, std::string_view source) {
  KeyRing ring;
  int line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto where = std::string(source) + " line " + std::to_string(line_no) + ": ";
    auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos)
      return fail(Errc::invalid_argument, where + "expected NAME SHA256HEX");
    auto name = line.substr(0, space);
    auto hash = trim(line.substr(space));
    if (!valid_key_name(name))
      return fail(Errc::invalid_argument,
                  where + "the name must be 1-64 of letters, digits, '.', '_', '-'");
    if (!is_hex64(hash))
      return fail(Errc::invalid_argument,
                  where +
                      "expected the key's SHA-256 as 64 hex digits after the name "
                      "(the file holds hashes, never keys; see `shot keys new`)");
    Key key{std::string(name), lower_ascii(hash)};
    for (auto& k : ring.keys_) {
      if (k.name == key.name)
        return fail(Errc::invalid_argument, where + "duplicate name \"" + key.name + "\"");
      if (k.hash == key.hash)
        return fail(Errc::invalid_argument, where + "the same key as \"" + k.name + "\"");
    }
    ring.keys_.push_back(std::move(key));
  }
  return ring;
}

Result<KeyRing> KeyRing::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::invalid_argument, "cannot read the keys file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

std::optional<std::string> KeyRing::find(std::string_view presented) const {
  std::string hash = sha256_hex(presented);
  std::optional<std::string> found;
  // Every entry is compared, so timing does not tell which one matched.
  for (auto& k : keys_)
    if (constant_time_equal(hash, k.hash) && !found) found = k.name;
  return found;
}

bool KeyRing::has_name(std::string_view name) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](auto& k) { return k.name == name; });
}

Result<NewKey> make_key(std::string_view name) {
  if (!valid_key_name(name))
    return fail(Errc::invalid_argument, "a key name is 1-64 of letters, digits, '.', '_', '-'",
                "name");
  NewKey k;
  k.key = "shot_" + random_hex(32);
  k.line = std::string(name) + " " + sha256_hex(k.key);
  return k;
}

// ---- TokenBucket

TokenBucket::TokenBucket(double rate_per_second, double burst, TimePoint now)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), tokens_(burst_), at_(now) {}

double TokenBucket::tokens(TimePoint now) const {
  if (now <= at_) return tokens_;
  double elapsed = std::chrono::duration<double>(now - at_).count();
  return std::min(burst_, tokens_ + elapsed * rate_);
}

bool TokenBucket::take(TimePoint now) {
  tokens_ = tokens(now);
  at_ = std::max(at_, now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::milliseconds TokenBucket::wait(TimePoint now) const {
  double missing = 1.0 - tokens(now);
  if (missing <= 0) return std::chrono::milliseconds(0);
  if (rate_ <= 0) return std::chrono::hours(24);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(missing / rate_ * 1000)));
}

// ---- UrlSigner

std::string UrlSigner::encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string UrlSigner::canonical_query(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (auto& [name, value] : query)
    if (name != "signature") encoded.emplace_back(encode(name), encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string UrlSigner::sign(std::string_view path, const QueryParams& query) const {
  std::string message = "GET\n";
  message += path;
  message += '\n';
  message += canonical_query(query);
  return hmac_sha256_hex(secret_, message);
}

std::string UrlSigner::signed_target(std::string_view path, QueryParams query) const {
  std::erase_if(query, [](auto& p) { return p.first == "signature"; });
  std::string target(path);
  target += '?';
  target += canonical_query(query);
  if (!query.empty()) target += '&';
  target += "signature=" + sign(path, query);
  return target;
}

Result<void> UrlSigner::verify(std::string_view path, const QueryParams& query,
                               std::int64_t now_unix) const {
  const std::string* given = nullptr;
  const std::string* expires = nullptr;
  for (auto& [name, value] : query) {
    if (name == "signature") {
      if (given) return fail(Errc::forbidden, "more than one signature", "signature");
      given = &value;
    } else if (name == "expires") {
      if (expires) return fail(Errc::forbidden, "more than one expires", "expires");
      expires = &value;
    }
  }
  if (!given) return fail(Errc::forbidden, "the URL is not signed", "signature");
  if (!constant_time_equal(lower_ascii(*given), sign(path, query)))
    return fail(Errc::forbidden, "the signature does not match the URL", "signature");
  if (expires) {
    std::int64_t at = 0;
    auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), at);
    if (ec != std::errc() || end != expires->data() + expires->size())
      return fail(Errc::forbidden, "expires must be unix seconds", "expires");
    if (at <= now_unix) return fail(Errc::forbidden, "the signed URL has expired", "expires");
  }
  return {};
}

// ---- AccessControl

AccessControl::AccessControl(KeyRing keys, AccessOptions options, JobLookup jobs)
    : keys_(std::move(keys)), options_(std::move(options)), lookup_(std::move(jobs)) {
  if (!options_.signing_secret.empty()) signer_.emplace(options_.signing_secret);
  if (!options_.unix_now) options_.unix_now = system_unix_now;
  if (!options_.now) options_.now = std::chrono::steady_clock::now;
}

std::expected<std::string, Response> AccessControl::authenticate(const Request& request) const {
  auto header = request.header("Authorization");
  if (!header)
    return std::unexpected(
        unauthorized("an API key is required: Authorization: Bearer KEY", false));
  std::string_view value = trim(*header);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme))
    return std::unexpected(unauthorized("use Authorization: Bearer KEY", true));
  auto name = keys_.find(trim(value.substr(kScheme.size())));
  if (!name) return std::unexpected(unauthorized("the API key is not valid", true));
  return *name;
}

std::optional<Response> AccessControl::charge(const std::string& name) {
  auto now = options_.now();
  auto& owner = owners_[name];
  if (!owner.bucket) owner.bucket.emplace(options_.rate_per_second, options_.rate_burst, now);
  if (owner.bucket->take(now)) return std::nullopt;
  return too_many("the rate limit of this API key is reached", owner.bucket->wait(now),
                  "Authorization");
}

std::optional<Response> AccessControl::check_signature(const Request& request) const {
  if (!signer_) return forbidden("signed URLs are not enabled on this server", "signature");
  auto ok = signer_->verify(request.path, request.query, options_.unix_now());
  if (!ok) return forbidden(ok.error().message, ok.error().field);
  return std::nullopt;
}

Task<std::size_t> AccessControl::unfinished_jobs(const std::string& name) {
  // A copy: other requests may change the set while this one waits on the store.
  std::vector<std::string> ids(owners_[name].jobs.begin(), owners_[name].jobs.end());
  for (auto& id : ids) {
    auto facts = co_await lookup_(id);
    // A store error keeps the job counted: the cap must not open up on an outage.
    bool gone = facts ? facts->finished : facts.error().code == Errc::not_found;
    if (gone) owners_[name].jobs.erase(id);
  }
  auto& owner = owners_[name];
  co_return owner.jobs.size() + static_cast<std::size_t>(owner.pending);
}

Task<Response> AccessControl::handle(Request& request, const Handler& inner, Scope scope) {
  std::string name;
  if (scope == Scope::signed_get && !request.header("Authorization") &&
      request.query_param("signature")) {
    if (auto refused = check_signature(request)) co_return std::move(*refused);
    // A signed link may name the key it is billed to; it is signed like the rest.
    if (auto key = request.query_param("key")) {
      if (!keys_.has_name(*key)) co_return forbidden("unknown key name", "key");
      name = *key;
      if (auto limited = charge(name)) co_return std::move(*limited);
    }
    request.principal = name;
    co_return co_await inner(request);
  }

  auto who = authenticate(request);
  if (!who) co_return std::move(who.error());
  name = std::move(*who);
  if (auto limited = charge(name)) co_return std::move(*limited);
  request.principal = name;

  if (scope == Scope::job) {
    auto facts = co_await lookup_(request.params["id"]);
    // Another key's job answers as if it did not exist: ids are not secrets to probe.
    if (!facts || facts->owner != name) {
      if (facts || facts.error().code == Errc::not_found)
        co_return problem(404, "Not Found", "no such job", "id");
      co_return problem_from(facts.error());
    }
  }

  if (scope == Scope::create_job && options_.max_jobs_per_key > 0) {
    PendingSlot slot(owners_[name].pending);
    // pending counts this request too.
    if (co_await unfinished_jobs(name) > static_cast<std::size_t>(options_.max_jobs_per_key))
      co_return too_many("this API key has " + std::to_string(options_.max_jobs_per_key) +
                             " unfinished jobs already",
                         std::chrono::seconds(5), "Authorization");
    Response response = co_await inner(request);
    if (response.status == 200 || response.status == 202) {
      if (auto location = response.header("Location")) {
        auto slash = location->rfind('/');
        owners_[name].jobs.emplace(location->substr(slash + 1));
      }
    }
    co_return response;
  }

  co_return co_await inner(request);
}

Handler guarded(Handler handler, AccessControl& access, Scope scope) {
  return [handler = std::move(handler), &access, scope](Request& request) {
    // `handler` lives in the router's copy of this lambda, which outlives the request.
    return access.handle(request, handler, scope);
  };
}

}  // namespace shot::http
