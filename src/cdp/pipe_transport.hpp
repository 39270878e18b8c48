#pragma once
// The DevTools pipe: Chromium reads commands from its fd 3 and writes
// replies and events to its fd 4, each one NUL-terminated JSON text.

#include <memory>

#include "cdp/transport.hpp"
#include "core/asio.hpp"

namespace shot::cdp {

inline constexpr std::size_t kMaxFrameBytes = 512u << 20;  // a tall full-page PNG in base64

// Takes ownership of `write_fd` (to the browser) and `read_fd` (from it).
std::unique_ptr<Transport> make_pipe_transport(Executor executor, int write_fd, int read_fd);

}  // namespace shot::cdp
