#pragma once
// multipart/form-data (RFC 7578) bodies: the parts of an upload form.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace shot::http {

struct FormPart {
  std::string name;      // the form field
  std::string filename;  // set for a file part
  std::string content_type;
  std::string body;
};

// The boundary parameter of a multipart Content-Type; empty when there is none.
std::string multipart_boundary(std::string_view content_type);

// Splits `body` into its parts; invalid_argument (field "body") when it is not
// a well-formed form with that boundary or has more than `max_parts` parts.
Result<std::vector<FormPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                              std::size_t max_parts = 32);

}  // namespace shot::http
