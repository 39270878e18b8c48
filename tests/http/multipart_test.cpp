// multipart/form-data: what browsers and curl -F send, and what must be refused.
#include "http/multipart.hpp"

#include <gtest/gtest.h>

namespace shot::http {
namespace {

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"a b;c\""), "a b;c");
  EXPECT_EQ(multipart_boundary("multipart/form-data"), "");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(300, 'x')), "");
}

TEST(Multipart, SplitsFieldsAndFilesKeepingBinaryBytes) {
  std::string binary("\x89PNG\r\n\x1a\n\0\r\n--not-it\r\n", 21);
  std::string body =
      "preamble\r\n--XX\r\nContent-Disposition: form-data; name=\"width\"\r\n\r\n100\r\n"
      "--XX\r\ncontent-disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
      "Content-Type: image/png\r\n\r\n" +
      binary + "\r\n--XX--\r\nepilogue";
  auto parts = parse_multipart(body, "XX");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "width");
  EXPECT_EQ((*parts)[0].body, "100");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "p.png");
  EXPECT_EQ((*parts)[1].content_type, "image/png");
  EXPECT_EQ((*parts)[1].body, binary);
}

TEST(Multipart, RefusesMalformedForms) {
  auto refused = [](std::string body, std::size_t max_parts = 32) {
    auto r = parse_multipart(body, "B", max_parts);
    if (r) return false;
    EXPECT_EQ(r.error().field, "body");
    return r.error().code == Errc::invalid_argument;
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"));
  EXPECT_TRUE(refused("--B\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line"));
  EXPECT_TRUE(refused("--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--"));  // no name
  EXPECT_TRUE(refused("--Bjunk"));
  std::string many;
  for (int i = 0; i < 3; ++i)
    many += "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  EXPECT_TRUE(refused(many + "--B--", 2));
  EXPECT_FALSE(refused(many + "--B--", 3));
  EXPECT_FALSE(parse_multipart("x", ""));
}

}  // namespace
}  // namespace shot::http
