#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace shot {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t)
    v = 0xff;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.resize((in.size() + 2) / 3 * 4);
  auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t i = 0, o = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = p[i] << 16;
    if (rest == 2) v |= p[i + 1] << 8;
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=')
    in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.resize(in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1));
  auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t i = 0, o = 0;
  for (; i + 4 <= in.size(); i += 4) {
    std::uint32_t a = kTable[p[i]], b = kTable[p[i + 1]], c = kTable[p[i + 2]],
                  d = kTable[p[i + 3]];
    if ((a | b | c | d) & 0x80) return std::nullopt;
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>((v >> 8) & 0xff);
    out[o++] = static_cast<char>(v & 0xff);
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < rest; ++k) {
      std::uint32_t x = kTable[p[i + k]];
      if (x & 0x80) return std::nullopt;
      v |= x << (18 - 6 * k);
    }
    out[o++] = static_cast<char>(v >> 16);
    if (rest == 3) out[o++] = static_cast<char>((v >> 8) & 0xff);
  }
  return out;
}

}  // namespace shot
