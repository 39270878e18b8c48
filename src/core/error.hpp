#pragma once
// Errors as values: every expected failure is an Error inside a Result<T>.

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace shot {

enum class Errc {
  invalid_argument,   // the caller sent something wrong (400)
  not_found,          // no such thing (404)
  conflict,           // state does not allow it (409)
  too_large,          // a size limit was exceeded (413)
  unsupported_media,  // not an image we accept (415)
  rate_limited,       // too many requests or queue full (429)
  unauthorized,       // missing or wrong credentials (401)
  forbidden,          // credentials fine, not allowed (403)
  timeout,            // a deadline passed
  canceled,           // the work was canceled
  unavailable,        // a dependency is down; retry later (503)
  navigation_failed,  // the page could not be loaded
  blocked,            // egress policy refused the address
  browser_crashed,    // Chromium or its renderer died; retryable
  protocol,           // the DevTools Protocol answered an error
  unwanted_page,      // the picture is one fail_on refuses (blank, error page, challenge)
  internal,           // a bug or an unexpected failure (500)
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;  // safe to show to a client
  std::string field;    // the request field at fault, if any

  // Worth running again: the failure was in the machinery, not in the input.
  bool retryable() const { return code == Errc::browser_crashed || code == Errc::unavailable; }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, std::string field = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(field)});
}

inline std::unexpected<Error> fail(Error error) {
  return std::unexpected(std::move(error));
}

}  // namespace shot
