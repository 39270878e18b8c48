#include "cdp/frame_splitter.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace shot::cdp {

std::vector<std::string> split_in_chunks(std::string_view stream, std::size_t chunk) {
  FrameSplitter s(1 << 20);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < stream.size(); i += chunk)
    EXPECT_TRUE(s.feed(stream.substr(i, chunk), [&](std::string&& m) { out.push_back(m); }));
  return out;
}

TEST(FrameSplitter, SameMessagesWhateverTheReadSizes) {
  std::string stream;
  stream += R"({"id":1})";
  stream.push_back('\0');
  stream += R"({"method":"Page.loadEventFired","params":{}})";
  stream.push_back('\0');
  stream.push_back('\0');  // an empty message is still a message
  stream += R"({"id":2})";
  stream.push_back('\0');
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    auto out = split_in_chunks(stream, chunk);
    ASSERT_EQ(out.size(), 4u) << "chunk " << chunk;
    EXPECT_EQ(out[0], R"({"id":1})");
    EXPECT_EQ(out[1], R"({"method":"Page.loadEventFired","params":{}})");
    EXPECT_EQ(out[2], "");
    EXPECT_EQ(out[3], R"({"id":2})");
  }
}

TEST(FrameSplitter, KeepsAnUnfinishedTail) {
  FrameSplitter s(100);
  int n = 0;
  EXPECT_TRUE(s.feed("abc", [&](std::string&&) { ++n; }));
  EXPECT_EQ(n, 0);
  EXPECT_EQ(s.buffered(), 3u);
}

TEST(FrameSplitter, RefusesAnOversizedMessage) {
  FrameSplitter s(8);
  EXPECT_TRUE(s.feed("12345", [](std::string&&) {}));
  EXPECT_FALSE(s.feed("6789", [](std::string&&) {}));
  FrameSplitter t(8);
  EXPECT_FALSE(t.feed(std::string_view("123456789\0", 10), [](std::string&&) {}));
}

}  // namespace shot::cdp
