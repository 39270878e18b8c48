#pragma once
// GET / (the web page) and GET /ui/<file> (its script, style sheet and icon),
// served from the bytes embedded in the binary. The page talks to the /v1 API
// like any other client, so it needs no route of its own beyond these.

#include "http/router.hpp"

namespace shot::http {

void add_web_routes(Router& router);

// The headers every page file is sent with: a CSP allowing this origin only.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace shot::http
