#include "image/format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shot::image {
namespace {

using namespace std::string_literals;

TEST(ImageFormat, SniffsMagicBytes) {
  EXPECT_EQ(sniff("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s), Format::png);
  EXPECT_EQ(sniff("\xff\xd8\xff\xe0\0\x10JFIF"s), Format::jpeg);
  EXPECT_EQ(sniff("GIF89a\x01\0\x01\0"s), Format::gif);
  EXPECT_EQ(sniff("GIF87a"), Format::gif);
  EXPECT_EQ(sniff("RIFF\x24\0\0\0WEBPVP8 "s), Format::webp);
  EXPECT_EQ(sniff("%PDF-1.7\n"), Format::pdf);
  EXPECT_EQ(sniff("\0\0\0\x1c"
                  "ftypavif\0\0\0\0avifmif1miaf"s),
            Format::avif);
  EXPECT_EQ(sniff("\0\0\0\x18"
                  "ftypheic\0\0\0\0mif1heic"s),
            Format::heif);
  // A generic HEIF major brand with an AVIF compatible brand is AVIF.
  EXPECT_EQ(sniff("\0\0\0\x18"
                  "ftypmif1\0\0\0\0mif1avif"s),
            Format::avif);
}

TEST(ImageFormat, UnknownForAnythingElse) {
  EXPECT_EQ(sniff(""), Format::unknown);
  EXPECT_EQ(sniff("hello, world"), Format::unknown);
  EXPECT_EQ(sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), Format::unknown);
  EXPECT_EQ(sniff("RIFF\x24\0\0\0WAVEfmt "s), Format::unknown);
  EXPECT_EQ(sniff("RIFF"), Format::unknown);
  EXPECT_EQ(sniff("\x89PN"), Format::unknown);
  EXPECT_EQ(sniff("\0\0\0\x18"
                  "ftypmp42\0\0\0\0isommp42"s),
            Format::unknown);
  // A box size past the end of the bytes is clamped, never read beyond.
  EXPECT_EQ(sniff("\xff\xff\xff\xff"
                  "ftypmp42\0\0\0\0"s),
            Format::unknown);
}

TEST(ImageFormat, MimeTypesAndExtensions) {
  EXPECT_EQ(mime_type(Format::png), "image/png");
  EXPECT_EQ(mime_type(Format::jpeg), "image/jpeg");
  EXPECT_EQ(mime_type(Format::webp), "image/webp");
  EXPECT_EQ(mime_type(Format::avif), "image/avif");
  EXPECT_EQ(mime_type(Format::pdf), "application/pdf");
  EXPECT_EQ(mime_type(Format::unknown), "application/octet-stream");
  EXPECT_EQ(extension(Format::jpeg), "jpg");
  EXPECT_EQ(extension(Format::avif), "avif");
  EXPECT_EQ(extension(Format::unknown), "bin");
}

TEST(ImageFormat, NamesFromUsers) {
  EXPECT_EQ(format_from_name("PNG"), Format::png);
  EXPECT_EQ(format_from_name("jpg"), Format::jpeg);
  EXPECT_EQ(format_from_name("Jpeg"), Format::jpeg);
  EXPECT_EQ(format_from_name("avif"), Format::avif);
  EXPECT_EQ(format_from_name("bmp"), std::nullopt);
  EXPECT_EQ(format_from_name(to_string(Format::webp)), Format::webp);
}

}  // namespace
}  // namespace shot::image
