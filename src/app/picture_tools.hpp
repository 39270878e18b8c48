#pragma once
// capture::PictureTools backed by libvips (image/), run on the blocking pool:
// app/ is where capture and image may meet (DESIGN §3).

#include "capture/picture_tools.hpp"

namespace shot::app {

class VipsPictureTools final : public capture::PictureTools {
 public:
  explicit VipsPictureTools(asio::thread_pool& blocking) : blocking_(blocking) {}
  Task<Result<std::string>> stitch(std::vector<std::string> tiles, capture::Format format,
                                   int quality) override;
  Task<Result<std::optional<std::string>>> single_colour(const std::string& picture,
                                                         int tolerance) override;

 private:
  asio::thread_pool& blocking_;
};

}  // namespace shot::app
