#include "core/id.hpp"

#include <array>

#include <sys/random.h>

namespace shot {
namespace {

void fill_random(unsigned char* out, std::size_t n) {
  while (n > 0) {
    ssize_t got = ::getrandom(out, n, 0);
    if (got <= 0) continue;  // EINTR: try again; getrandom blocks only before the pool is ready
    out += got;
    n -= static_cast<std::size_t>(got);
  }
}

}  // namespace

std::string new_id() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::array<unsigned char, 20> bytes{};
  fill_random(bytes.data(), bytes.size());
  std::string id(bytes.size(), ' ');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    id[i] = kAlphabet[bytes[i] & 31];
  return id;
}

std::string random_hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string bytes(n, '\0');
  fill_random(reinterpret_cast<unsigned char*>(bytes.data()), n);
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace shot
