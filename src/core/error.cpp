#include "core/error.hpp"

namespace shot {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::conflict:
      return "conflict";
    case Errc::too_large:
      return "too_large";
    case Errc::unsupported_media:
      return "unsupported_media";
    case Errc::rate_limited:
      return "rate_limited";
    case Errc::unauthorized:
      return "unauthorized";
    case Errc::forbidden:
      return "forbidden";
    case Errc::timeout:
      return "timeout";
    case Errc::canceled:
      return "canceled";
    case Errc::unavailable:
      return "unavailable";
    case Errc::navigation_failed:
      return "navigation_failed";
    case Errc::blocked:
      return "blocked";
    case Errc::browser_crashed:
      return "browser_crashed";
    case Errc::protocol:
      return "protocol";
    case Errc::unwanted_page:
      return "unwanted_page";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace shot
