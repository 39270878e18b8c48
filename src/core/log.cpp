#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace shot::log {
namespace {

void append_escaped(std::string_view s, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
          out.append(std::string_view(esc, sizeof esc));
        } else {
          out.push_back(c);
        }
    }
  }
}

// %*: the message, escaped for a JSON string.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

}  // namespace

std::string json_escape(std::string_view s) {
  spdlog::memory_buf_t buf;
  append_escaped(s, buf);
  return std::string(buf.data(), buf.size());
}

std::unique_ptr<spdlog::formatter> make_formatter(Format format) {
  if (format == Format::json) {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<EscapedMessage>('*').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    return f;
  }
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
}

void setup(Format format, spdlog::level::level_enum level) {
  auto logger = spdlog::get("shot");
  if (!logger) logger = spdlog::stderr_color_mt("shot");
  logger->set_formatter(make_formatter(format));
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace shot::log
