#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL) for content hashes, signatures and cache keys.

#include <string>
#include <string_view>

namespace shot {

std::string sha256_raw(std::string_view data);                             // 32 bytes
std::string sha256_hex(std::string_view data);                             // 64 hex chars
std::string hmac_sha256_raw(std::string_view key, std::string_view data);  // 32 bytes
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);

// Compares in time independent of where the inputs differ (signatures, keys).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace shot
