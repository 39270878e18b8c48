#include "image/format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

namespace shot::image {
namespace {

bool starts_with(std::string_view bytes, std::string_view magic) {
  return bytes.starts_with(magic);
}

uint32_t read_be32(std::string_view bytes, size_t at) {
  auto b = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i]));
  };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

// ISO-BMFF files (AVIF, HEIC) open with an `ftyp` box: size, "ftyp", a major
// brand, a minor version, then compatible brands up to the box's end.
Format sniff_ftyp(std::string_view bytes) {
  if (bytes.size() < 16 || bytes.substr(4, 4) != "ftyp") return Format::unknown;
  size_t box = std::min<size_t>(read_be32(bytes, 0), bytes.size());
  if (box < 16) return Format::unknown;
  constexpr std::array<std::string_view, 2> kAvif = {"avif", "avis"};
  constexpr std::array<std::string_view, 6> kHeif = {"heic", "heix", "heim",
                                                     "heis", "mif1", "msf1"};
  auto is_in = [](std::string_view brand, const auto& set) {
    return std::find(set.begin(), set.end(), brand) != set.end();
  };
  // The major brand decides; a HEIF-generic major brand (mif1) defers to a
  // more specific compatible brand, since avif files often declare mif1 first.
  std::string_view major = bytes.substr(8, 4);
  if (is_in(major, kAvif)) return Format::avif;
  bool heif = is_in(major, kHeif);
  for (size_t at = 16; at + 4 <= box; at += 4) {
    std::string_view brand = bytes.substr(at, 4);
    if (is_in(brand, kAvif)) return Format::avif;
    if (is_in(brand, kHeif)) heif = true;
  }
  return heif ? Format::heif : Format::unknown;
}

}  // namespace

Format sniff(std::string_view bytes) {
  using namespace std::string_view_literals;
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n"sv)) return Format::png;
  if (starts_with(bytes, "\xff\xd8\xff"sv)) return Format::jpeg;
  if (starts_with(bytes, "GIF87a"sv) || starts_with(bytes, "GIF89a"sv)) return Format::gif;
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF"sv) && bytes.substr(8, 4) == "WEBP"sv)
    return Format::webp;
  if (starts_with(bytes, "%PDF-"sv)) return Format::pdf;
  return sniff_ftyp(bytes);
}

std::string_view mime_type(Format format) {
  switch (format) {
    case Format::png:
      return "image/png";
    case Format::jpeg:
      return "image/jpeg";
    case Format::webp:
      return "image/webp";
    case Format::gif:
      return "image/gif";
    case Format::avif:
      return "image/avif";
    case Format::heif:
      return "image/heic";
    case Format::pdf:
      return "application/pdf";
    case Format::unknown:
      break;
  }
  return "application/octet-stream";
}

std::string_view extension(Format format) {
  switch (format) {
    case Format::png:
      return "png";
    case Format::jpeg:
      return "jpg";
    case Format::webp:
      return "webp";
    case Format::gif:
      return "gif";
    case Format::avif:
      return "avif";
    case Format::heif:
      return "heic";
    case Format::pdf:
      return "pdf";
    case Format::unknown:
      break;
  }
  return "bin";
}

std::string_view to_string(Format format) {
  switch (format) {
    case Format::png:
      return "png";
    case Format::jpeg:
      return "jpeg";
    case Format::webp:
      return "webp";
    case Format::gif:
      return "gif";
    case Format::avif:
      return "avif";
    case Format::heif:
      return "heif";
    case Format::pdf:
      return "pdf";
    case Format::unknown:
      break;
  }
  return "unknown";
}

std::optional<Format> format_from_name(std::string_view name) {
  std::string lower(name);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "png") return Format::png;
  if (lower == "jpeg" || lower == "jpg") return Format::jpeg;
  if (lower == "webp") return Format::webp;
  if (lower == "gif") return Format::gif;
  if (lower == "avif") return Format::avif;
  if (lower == "heif" || lower == "heic") return Format::heif;
  if (lower == "pdf") return Format::pdf;
  return std::nullopt;
}

}  // namespace shot::image
