#pragma once
// One Chromium pool and one page server shared by the capture tests.

#include <gtest/gtest.h>

#include "app/picture_tools.hpp"
#include "capture/capturer.hpp"
#include "support/async_test.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"

namespace shot::capture {

class CaptureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    io_ = new asio::io_context(1);
    browser::PoolOptions o;
    o.tabs = 2;
    pool_ = new browser::PagePool(io_->get_executor(), o);
    blocking_ = new asio::thread_pool(2);
    tools_ = new app::VipsPictureTools(*blocking_);
    capturer_ = new Capturer(*pool_, tools_);
  }
  static void TearDownTestSuite() {
    delete capturer_;
    pool_->shutdown();
    io_->run_for(std::chrono::milliseconds(100));
    delete pool_;
    delete tools_;
    blocking_->join();
    delete blocking_;
    delete io_;
  }

  // Captures `url` with options given as JSON text.
  Result<CaptureResult> shoot(const std::string& url, std::string_view options_json = "{}") {
    auto parsed = parse_options(parse_json(options_json)->as_object());
    if (!parsed) return fail(parsed.error());
    Result<CaptureResult> out = fail(Errc::internal, "did not finish");
    bool ok = testing::run_task(
        *io_, [&]() -> Task<void> { out = co_await capturer_->capture(url, *parsed); });
    EXPECT_TRUE(ok);
    return out;
  }

  static testing::Picture picture(const CaptureResult& r) {
    auto p = testing::decode_picture(r.bytes);
    EXPECT_TRUE(p.has_value());
    return p.value_or(testing::Picture{});
  }

  testing::PageServer server_;
  static inline asio::io_context* io_ = nullptr;
  static inline browser::PagePool* pool_ = nullptr;
  static inline asio::thread_pool* blocking_ = nullptr;
  static inline app::VipsPictureTools* tools_ = nullptr;  // joins tiles of tall pages
  static inline Capturer* capturer_ = nullptr;
};

}  // namespace shot::capture
