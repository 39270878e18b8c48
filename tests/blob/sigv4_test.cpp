// The SigV4 signer against the worked examples AWS publishes with their
// signatures (s3rver accepts any secret, so only these prove the signing),
// and how an s3:// URL becomes an S3 address.

#include <gtest/gtest.h>

#include "blob/s3/s3_blob_store.hpp"
#include "blob/s3/sigv4.hpp"
#include "core/digest.hpp"

namespace shot {
namespace {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message

// The example account of the AWS documentation (Amazon S3 API Reference,
// "Signature Calculations for the Authorization Header" and "Authenticating
// Requests: Using Query Parameters"): examplebucket, us-east-1, 2013-05-24.
const s3::Credentials kAwsExample{"AKIAIOSFODNN7EXAMPLE",
                                  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view kDate = "20130524T000000Z";
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";
const std::string kEmptySha = sha256_hex("");

s3::SignedRequest example_get(std::string path, s3::Pairs query, s3::Pairs extra = {}) {
  s3::SignedRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", std::string(kHost)},
               {"x-amz-date", std::string(kDate)},
               {"x-amz-content-sha256", kEmptySha}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  r.payload = kEmptySha;
  return r;
}

std::string signature_of(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

TEST(SigV4, GetObjectExample) {
  auto r = example_get("/test.txt", {}, {{"Range", "bytes=0-9"}});
  EXPECT_EQ(s3::canonical_request(r),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s3::authorization(r, kAwsExample, "us-east-1", kDate),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectExample) {
  const std::string body = "Welcome to Amazon S3.";
  s3::SignedRequest r;
  r.method = "PUT";
  r.path = "/" + s3::uri_encode("test$file.text", true);
  r.payload = sha256_hex(body);
  r.headers = {{"Host", std::string(kHost)},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", std::string(kDate)},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload}};
  EXPECT_EQ(r.path, "/test%24file.text");
  EXPECT_EQ(r.payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(signature_of(s3::authorization(r, kAwsExample, "us-east-1", kDate)),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, BucketRequestExamplesWithQueries) {
  auto lifecycle = example_get("/", {{"lifecycle", ""}});
  EXPECT_EQ(signature_of(s3::authorization(lifecycle, kAwsExample, "us-east-1", kDate)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  // Given out of order: the canonical query sorts them.
  auto list = example_get("/", {{"prefix", "J"}, {"max-keys", "2"}});
  EXPECT_EQ(signature_of(s3::authorization(list, kAwsExample, "us-east-1", kDate)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, PresignedUrlExample) {
  EXPECT_EQ(s3::presigned_query(kHost, "/test.txt", kAwsExample, "us-east-1", kDate,
                                std::chrono::seconds(86400)),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%"
            "2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-"
            "Amz-SignedHeaders=host&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, EncodingAndDates) {
  EXPECT_EQ(s3::uri_encode("a b/c~d_e.f-g+h=i&é", false), "a%20b%2Fc~d_e.f-g%2Bh%3Di%26%C3%A9");
  EXPECT_EQ(s3::uri_encode("jobs/a b/0.png", true), "jobs/a%20b/0.png");
  EXPECT_EQ(s3::amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1369353600))),
            "20130524T000000Z");
}

// The documented examples use virtual-hosted addressing: the same host and path
// come out of a virtual-hosted config, and the bucket moves into the path
// when path-style.
TEST(S3Config, AddressingStyles) {
  auto virtual_hosted = S3Config::parse(
      "s3://examplebucket?endpoint=https://s3.amazonaws.com&access_key=AKIAIOSFODNN7EXAMPLE&"
      "secret_key=wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY");
  ASSERT_OK(virtual_hosted);
  EXPECT_EQ(virtual_hosted->host_header(), kHost);
  EXPECT_EQ(virtual_hosted->path("test.txt"), "/test.txt");
  EXPECT_EQ(virtual_hosted->credentials.secret_key, kAwsExample.secret_key);
  EXPECT_EQ(s3::presigned_query(virtual_hosted->host_header(), virtual_hosted->path("test.txt"),
                                virtual_hosted->credentials, virtual_hosted->region, kDate,
                                std::chrono::seconds(86400))
                .substr(200),
            s3::presigned_query(kHost, "/test.txt", kAwsExample, "us-east-1", kDate,
                                std::chrono::seconds(86400))
                .substr(200));

  auto path_style = S3Config::parse(
      "s3://shots?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=true&access_key=a&"
      "secret_key=b");
  ASSERT_OK(path_style);
  EXPECT_EQ(path_style->host_header(), "127.0.0.1:9000");
  EXPECT_EQ(path_style->path("jobs/j/0.png"), "/shots/jobs/j/0.png");
  EXPECT_EQ(path_style->region, "eu-west-1");

  auto aws_default = S3Config::parse("s3://shots?region=eu-west-1&access_key=a&secret_key=b");
  ASSERT_OK(aws_default);
  EXPECT_EQ(aws_default->host_header(), "shots.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws_default->scheme, "https");
}

TEST(S3Config, BadUrlsAreClearAndKeepSecretsOut) {
  for (const char* url :
       {"s3://", "s3://UPPER?access_key=a&secret_key=hunter2", "s3://b?nope=1&secret_key=hunter2",
        "s3://bkt/path?access_key=a&secret_key=hunter2",
        "s3://bkt?endpoint=ftp://x&access_key=a&secret_key=hunter2",
        "s3://bkt?endpoint=http://127.0.0.1:1/sub&access_key=a&secret_key=hunter2"}) {
    auto c = S3Config::parse(url);
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().code, Errc::invalid_argument) << url;
    EXPECT_EQ(c.error().field, "blobs");
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace shot
