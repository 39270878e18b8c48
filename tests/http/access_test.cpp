#include "http/access.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/deadline.hpp"  // async_test.hpp uses Clock without including it
#include "core/digest.hpp"
#include "support/async_test.hpp"

namespace shot::http {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

const std::string kAliceKey = "shot_alice-secret";
const std::string kBobKey = "shot_bob-secret";

std::string keys_text() {
  return "# the keys of the test\n\n"
         "alice " +
         sha256_hex(kAliceKey) +
         "\n"
         "  bob\t" +
         sha256_hex(kBobKey) + "  \r\n";
}

TEST(KeyRing, ParsesLinesCommentsAndBlanks) {
  auto ring = KeyRing::parse(keys_text());
  ASSERT_TRUE(ring) << ring.error().message;
  EXPECT_EQ(ring->size(), 2u);
  EXPECT_EQ(ring->find(kAliceKey), "alice");
  EXPECT_EQ(ring->find(kBobKey), "bob");
  EXPECT_FALSE(ring->find("shot_nobody"));
  EXPECT_FALSE(ring->find(sha256_hex(kAliceKey)));  // the hash itself is not a key
  EXPECT_TRUE(ring->has_name("bob"));
}

TEST(KeyRing, UpperCaseHashesAreTheSame) {
  std::string hash = sha256_hex("k");
  for (auto& c : hash)
    c = static_cast<char>(std::toupper(c));
  auto ring = KeyRing::parse("carol " + hash + "\n");
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->find("k"), "carol");
}

TEST(KeyRing, MalformedLineIsNamedByNumber) {
  auto missing = KeyRing::parse("# c\n\nalice\n", "keys.txt");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("keys.txt line 3"), std::string::npos)
      << missing.error().message;
  auto short_hash = KeyRing::parse("alice " + sha256_hex("a") + "\nbob abc123\n");
  ASSERT_FALSE(short_hash);
  EXPECT_NE(short_hash.error().message.find("line 2"), std::string::npos);
  auto raw_key = KeyRing::parse("alice shot_0123 " + sha256_hex("a") + "\n");
  EXPECT_FALSE(raw_key);
  auto bad_name = KeyRing::parse("al/ice " + sha256_hex("a") + "\n");
  EXPECT_FALSE(bad_name);
}

TEST(KeyRing, DuplicateNamesAndKeysAreRefused) {
  auto names = KeyRing::parse("alice " + sha256_hex("a") + "\nalice " + sha256_hex("b") + "\n");
  ASSERT_FALSE(names);
  EXPECT_NE(names.error().message.find("line 2"), std::string::npos);
  EXPECT_NE(names.error().message.find("duplicate"), std::string::npos);
  auto keys = KeyRing::parse("alice " + sha256_hex("a") + "\nbob " + sha256_hex("a") + "\n");
  EXPECT_FALSE(keys);
}

TEST(KeyRing, MissingFileIsAnError) {
  auto ring = KeyRing::load("/nonexistent/keys.txt");
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().message.find("/nonexistent/keys.txt"), std::string::npos);
}

TEST(MakeKey, PrintsAKeyAndTheLineOfItsHash) {
  auto k = make_key("alice");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->key.rfind("shot_", 0), 0u);
  EXPECT_EQ(k->key.size(), 5u + 64u);
  EXPECT_EQ(k->line, "alice " + sha256_hex(k->key));
  auto ring = KeyRing::parse(k->line);
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->find(k->key), "alice");
  EXPECT_NE(make_key("alice")->key, k->key);
  EXPECT_FALSE(make_key("two words"));
  EXPECT_FALSE(make_key(""));
}

TEST(TokenBucket, StartsFullThenRefillsAtTheRate) {
  TimePoint t0{};
  TokenBucket b(2.0, 3.0, t0);  // 2 a second, 3 at once
  EXPECT_TRUE(b.take(t0));
  EXPECT_TRUE(b.take(t0));
  EXPECT_TRUE(b.take(t0));
  EXPECT_FALSE(b.take(t0));
  EXPECT_EQ(b.wait(t0), 500ms);
  EXPECT_EQ(b.wait(t0 + 250ms), 250ms);
  EXPECT_FALSE(b.take(t0 + 499ms));
  EXPECT_TRUE(b.take(t0 + 500ms));
  EXPECT_FALSE(b.take(t0 + 500ms));
  EXPECT_EQ(b.wait(t0 + 1000ms), 0ms);
  // Never more than the burst, however long it rests.
  EXPECT_DOUBLE_EQ(b.tokens(t0 + 1h), 3.0);
  // A clock that goes backwards gives nothing.
  EXPECT_DOUBLE_EQ(b.tokens(t0), b.tokens(t0 - 1s));
}

// ---- signed URLs

QueryParams screenshot_query() {
  QueryParams q;
  q.emplace_back("url", "https://example.com/a b?x=1&y=é");
  q.emplace_back("width", "800");
  q.emplace_back("full_page", "true");
  return q;
}

TEST(UrlSigner, CanonicalQueryIsSortedAndEncoded) {
  QueryParams q;
  q.emplace_back("b", "2");
  q.emplace_back("a", "x y/~");
  q.emplace_back("signature", "ignored");
  q.emplace_back("a", "1");
  EXPECT_EQ(UrlSigner::canonical_query(q), "a=1&a=x%20y%2F~&b=2");
  EXPECT_EQ(UrlSigner::encode("é+&="), "%C3%A9%2B%26%3D");
}

TEST(UrlSigner, SignatureDoesNotDependOnOrder) {
  UrlSigner s("secret");
  auto q = screenshot_query();
  auto reversed = QueryParams(q.rbegin(), q.rend());
  EXPECT_EQ(s.sign("/v1/screenshot", q), s.sign("/v1/screenshot", reversed));
  EXPECT_EQ(s.sign("/v1/screenshot", q),
            hmac_sha256_hex("secret", "GET\n/v1/screenshot\n" + UrlSigner::canonical_query(q)));
  EXPECT_NE(UrlSigner("other").sign("/v1/screenshot", q), s.sign("/v1/screenshot", q));
}

TEST(UrlSigner, SignedTargetVerifiesAfterParsing) {
  UrlSigner s("secret");
  auto target = s.signed_target("/v1/screenshot", screenshot_query());
  auto query = parse_query(target.substr(target.find('?') + 1));
  EXPECT_TRUE(s.verify("/v1/screenshot", query, 0));
}

TEST(UrlSigner, AnyTamperingFails) {
  UrlSigner s("secret");
  auto q = screenshot_query();
  q.emplace_back("signature", s.sign("/v1/screenshot", q));
  ASSERT_TRUE(s.verify("/v1/screenshot", q, 0));
  EXPECT_FALSE(s.verify("/v1/thumbnail", q, 0));
  for (std::size_t i = 0; i + 1 < q.size(); ++i) {
    auto value = q;
    value[i].second += "x";
    EXPECT_FALSE(s.verify("/v1/screenshot", value, 0)) << q[i].first;
    auto name = q;
    name[i].first += "x";
    EXPECT_FALSE(s.verify("/v1/screenshot", name, 0)) << q[i].first;
    auto removed = q;
    removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(s.verify("/v1/screenshot", removed, 0)) << q[i].first;
  }
  auto added = q;
  added.emplace_back("height", "100");
  EXPECT_FALSE(s.verify("/v1/screenshot", added, 0));
  auto bad = q;
  bad.back().second[0] = bad.back().second[0] == 'a' ? 'b' : 'a';
  auto failed = s.verify("/v1/screenshot", bad, 0);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::forbidden);
  EXPECT_EQ(failed.error().field, "signature");
  EXPECT_FALSE(s.verify("/v1/screenshot", screenshot_query(), 0));  // not signed at all
}

TEST(UrlSigner, ExpiredLinksFail) {
  UrlSigner s("secret");
  auto q = screenshot_query();
  q.emplace_back("expires", "1000");
  q.emplace_back("signature", s.sign("/v1/screenshot", q));
  EXPECT_TRUE(s.verify("/v1/screenshot", q, 999));
  auto expired = s.verify("/v1/screenshot", q, 1000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().field, "expires");
  // Moving expires forward breaks the signature.
  auto later = q;
  later[3].second = "5000";
  EXPECT_FALSE(s.verify("/v1/screenshot", later, 1000));
}

// ---- the guard

class AccessTest : public ::testing::Test {
 protected:
  AccessTest() {
    AccessOptions o;
    o.rate_per_second = 1;
    o.rate_burst = 2;
    o.max_jobs_per_key = 1;
    o.signing_secret = "secret";
    o.now = [this] { return now_; };
    o.unix_now = [] { return std::int64_t{1000}; };
    access_.emplace(KeyRing::parse(keys_text()).value(), o,
                    [this](std::string id) { return lookup(std::move(id)); });
  }

  Task<Result<JobFacts>> lookup(std::string id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(Errc::not_found, "no such job");
    co_return it->second;
  }

  Response run(Handler& h, Request& r) {
    Response out;
    EXPECT_TRUE(shot::testing::run_task(io_, [&]() -> Task<void> { out = co_await h(r); }));
    return out;
  }

  static Request request(std::string key, std::string path = "/v1/jobs") {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    if (!key.empty()) r.headers.emplace_back("Authorization", "Bearer " + key);
    return r;
  }

  // Answers 200 with the principal it saw.
  Handler echo(Scope scope) {
    return guarded([](Request& r) -> Task<Response> { co_return text_response(200, r.principal); },
                   *access_, scope);
  }

  asio::io_context io_;
  TimePoint now_{};
  std::map<std::string, JobFacts> jobs_;
  std::optional<AccessControl> access_;
};

TEST_F(AccessTest, MissingOrWrongKeyIs401WithWwwAuthenticate) {
  auto h = echo(Scope::api);
  auto none = request("");
  auto r = run(h, none);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), R"(Bearer realm="shot")");
  auto wrong = request("shot_wrong");
  r = run(h, wrong);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").value_or("").find("invalid_token"), std::string::npos);
  Request basic;
  basic.headers.emplace_back("Authorization", "Basic " + kAliceKey);
  EXPECT_EQ(run(h, basic).status, 401);
  Request lower_case;
  lower_case.headers.emplace_back("authorization", "bearer " + kAliceKey);
  r = run(h, lower_case);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "alice");
}

TEST_F(AccessTest, EachKeyHasItsOwnBucket) {
  auto h = echo(Scope::api);
  auto alice = request(kAliceKey);
  EXPECT_EQ(run(h, alice).status, 200);
  EXPECT_EQ(run(h, alice).status, 200);
  auto limited = run(h, alice);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After").value_or(""), "1");
  auto bob = request(kBobKey);
  EXPECT_EQ(run(h, bob).status, 200);
  now_ += 1s;
  EXPECT_EQ(run(h, alice).status, 200);
  EXPECT_EQ(run(h, alice).status, 429);
}

TEST_F(AccessTest, AnotherKeysJobIsNotFound) {
  jobs_["j1"] = JobFacts{.owner = "alice", .finished = false};
  auto h = echo(Scope::job);
  auto alice = request(kAliceKey, "/v1/jobs/j1");
  alice.params["id"] = "j1";
  EXPECT_EQ(run(h, alice).status, 200);
  auto bob = request(kBobKey, "/v1/jobs/j1");
  bob.params["id"] = "j1";
  auto r = run(h, bob);
  EXPECT_EQ(r.status, 404);
  auto unknown = request(kBobKey, "/v1/jobs/j2");
  unknown.params["id"] = "j2";
  EXPECT_EQ(run(h, unknown).body, r.body);  // indistinguishable from an unknown id
}

TEST_F(AccessTest, UnfinishedJobsAreCappedPerKey) {
  int next = 0;
  auto h = guarded(
      [&](Request& r) -> Task<Response> {
        std::string id = "job" + std::to_string(next++);
        jobs_[id] = JobFacts{.owner = r.principal, .finished = false};
        Response out = text_response(202, id);
        out.set_header("Location", "/v1/jobs/" + id);
        co_return out;
      },
      *access_, Scope::create_job);
  auto alice = request(kAliceKey);
  alice.method = "POST";
  EXPECT_EQ(run(h, alice).status, 202);
  now_ += 10s;  // rate is not what stops the next one
  auto capped = run(h, alice);
  EXPECT_EQ(capped.status, 429);
  EXPECT_TRUE(capped.header("Retry-After"));
  auto bob = request(kBobKey);
  EXPECT_EQ(run(h, bob).status, 202);
  jobs_["job0"].finished = true;
  now_ += 10s;
  EXPECT_EQ(run(h, alice).status, 202);
}

TEST_F(AccessTest, SignedGetTakesAValidSignatureInsteadOfAKey) {
  auto h = echo(Scope::signed_get);
  UrlSigner signer("secret");
  auto target = signer.signed_target("/v1/screenshot", screenshot_query());
  Request ok;
  ok.method = "GET";
  ok.path = "/v1/screenshot";
  ok.query = parse_query(target.substr(target.find('?') + 1));
  auto r = run(h, ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");  // no key: nobody's

  auto tampered = ok;
  tampered.query[0].second = "https://evil.example/";
  r = run(h, tampered);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("\"signature\""), std::string::npos) << r.body;

  auto q = screenshot_query();
  q.emplace_back("expires", "999");
  auto old_target = signer.signed_target("/v1/screenshot", q);
  Request expired = ok;
  expired.query = parse_query(old_target.substr(old_target.find('?') + 1));
  EXPECT_EQ(run(h, expired).status, 403);

  Request unsigned_request = ok;
  unsigned_request.query = screenshot_query();
  EXPECT_EQ(run(h, unsigned_request).status, 401);

  auto with_key = request(kBobKey, "/v1/screenshot");
  with_key.query = screenshot_query();
  EXPECT_EQ(run(h, with_key).body, "bob");
}

TEST_F(AccessTest, ASignedLinkMayBillANamedKey) {
  auto h = echo(Scope::signed_get);
  UrlSigner signer("secret");
  auto q = screenshot_query();
  q.emplace_back("key", "alice");
  auto target = signer.signed_target("/v1/screenshot", q);
  Request r;
  r.path = "/v1/screenshot";
  r.query = parse_query(target.substr(target.find('?') + 1));
  EXPECT_EQ(run(h, r).body, "alice");
  EXPECT_EQ(run(h, r).status, 200);
  EXPECT_EQ(run(h, r).status, 429);  // alice's bucket: burst 2

  auto nobody = screenshot_query();
  nobody.emplace_back("key", "mallory");
  auto other = signer.signed_target("/v1/screenshot", nobody);
  r.query = parse_query(other.substr(other.find('?') + 1));
  EXPECT_EQ(run(h, r).status, 403);
}

}  // namespace
}  // namespace shot::http
