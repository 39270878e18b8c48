#include "blob/s3/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "core/digest.hpp"
#include "core/strings.hpp"

namespace shot::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Header values: leading and trailing spaces go, inner runs become one space.
std::string trim_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string canonical_query(const Pairs& query) {
  Pairs encoded;
  for (const auto& [k, v] : query)
    encoded.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

// Lower-case names, sorted: "host;range;x-amz-date".
Pairs canonical_headers(const Pairs& headers) {
  Pairs out;
  for (const auto& [k, v] : headers)
    out.emplace_back(lower_ascii(k), trim_value(v));
  std::sort(out.begin(), out.end());
  return out;
}

std::string signed_header_names(const Pairs& canonical) {
  std::string out;
  for (const auto& [k, v] : canonical) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string scope(std::string_view date, std::string_view region) {
  return std::string(date.substr(0, 8)) + "/" + std::string(region) + "/s3/aws4_request";
}

std::string signature(const std::string& canonical, const Credentials& credentials,
                      std::string_view region, std::string_view date) {
  const std::string to_sign = std::string(kAlgorithm) + "\n" + std::string(date) + "\n" +
                              scope(date, region) + "\n" + sha256_hex(canonical);
  auto key = hmac_sha256_raw("AWS4" + credentials.secret_key, date.substr(0, 8));
  key = hmac_sha256_raw(key, region);
  key = hmac_sha256_raw(key, "s3");
  key = hmac_sha256_raw(key, "aws4_request");
  return hmac_sha256_hex(key, to_sign);
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_request(const SignedRequest& r) {
  const auto headers = canonical_headers(r.headers);
  std::string out = r.method + "\n" + r.path + "\n" + canonical_query(r.query) + "\n";
  for (const auto& [k, v] : headers)
    out += k + ":" + v + "\n";
  out += "\n" + signed_header_names(headers) + "\n" + r.payload;
  return out;
}

std::string authorization(const SignedRequest& request, const Credentials& credentials,
                          std::string_view region, std::string_view date) {
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key + "/" +
         scope(date, region) +
         ",SignedHeaders=" + signed_header_names(canonical_headers(request.headers)) +
         ",Signature=" + signature(canonical_request(request), credentials, region, date);
}

std::string presigned_query(std::string_view host, std::string_view path,
                            const Credentials& credentials, std::string_view region,
                            std::string_view date, std::chrono::seconds expires) {
  SignedRequest r;
  r.method = "GET";
  r.path = std::string(path);
  r.query = {{"X-Amz-Algorithm", std::string(kAlgorithm)},
             {"X-Amz-Credential", credentials.access_key + "/" + scope(date, region)},
             {"X-Amz-Date", std::string(date)},
             {"X-Amz-Expires", std::to_string(expires.count())},
             {"X-Amz-SignedHeaders", "host"}};
  if (!credentials.session_token.empty())
    r.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  r.headers = {{"host", std::string(host)}};
  r.payload = "UNSIGNED-PAYLOAD";
  return canonical_query(r.query) +
         "&X-Amz-Signature=" + signature(canonical_request(r), credentials, region, date);
}

}  // namespace shot::s3
