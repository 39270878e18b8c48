#include "core/log.hpp"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <sstream>

#include "core/json.hpp"

namespace shot {
namespace {

// Lines a JSON-format logger writes for `messages`.
std::vector<std::string> json_lines(const std::vector<std::string>& messages) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("json-test", sink);
  logger.set_formatter(log::make_formatter(log::Format::json));
  for (auto& m : messages)
    logger.warn("{}", m);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(Log, JsonLinesAreValidJsonWhateverTheMessage) {
  std::vector<std::string> messages = {
      "plain",
      R"(quoted "title" and C:\path\file)",
      "two\nlines\r\tand a bell \x07 and \x1f and del \x7f",
      "unicode: é — 日本",
      R"(looks like json","level":"error)",
  };
  auto lines = json_lines(messages);
  ASSERT_EQ(lines.size(), messages.size());  // a newline in a message stays in its line
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto v = parse_json(lines[i]);
    ASSERT_TRUE(v) << lines[i];
    ASSERT_TRUE(v->is_object());
    auto& o = v->as_object();
    EXPECT_EQ(json_string(o, "msg"), messages[i]);
    EXPECT_EQ(json_string(o, "level"), "warning");
    EXPECT_EQ(json_string(o, "ts").size(), std::string("2026-01-01T00:00:00.000Z").size());
  }
}

TEST(Log, JsonEscapeUsesShortFormsAndUnicodeEscapes) {
  EXPECT_EQ(log::json_escape("a\"b\\c\nd"), R"(a\"b\\c\nd)");
  EXPECT_EQ(log::json_escape(std::string("\x01\x00", 2)), R"(\u0001\u0000)");
  EXPECT_EQ(log::json_escape("é"), "é");
}

}  // namespace
}  // namespace shot
