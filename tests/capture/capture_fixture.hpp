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
  static void SetUpTestSuite() { start({.tabs = 2}); }
  static void start(browser::PoolOptions o) {
    io_ = new asio::io_context(1);
    pool_ = new browser::PagePool(io_->get_executor(), std::move(o));
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

  // Capture 1 leaves every kind of state a site can keep; capture 2, in the
  // same reused tab slot, must see none of it.
  void expect_captures_isolated() {
    server_.route("/set", [](const testing::Request&) {
      return testing::Response{.body = R"(<title></title><script>
        localStorage.setItem('k', 'v1');
        sessionStorage.setItem('k', 'v1');
        (async () => {
          await fetch('/cached');
          await new Promise(done => {
            const open = indexedDB.open('db');
            open.onupgradeneeded = () => open.result.createObjectStore('s');
            open.onsuccess = () => { open.result.close(); done(); };
          });
          await navigator.serviceWorker.register('/sw.js');
          await (await caches.open('c')).put('/x', new Response('v'));
          document.title = 'done';
        })().catch(e => document.title = 'done ' + e);</script>)",
                               .headers = {{"Set-Cookie", "leak=1; Path=/"}}};
    });
    server_.route("/cached", [](const testing::Request&) {
      return testing::Response{.body = "fresh", .headers = {{"Cache-Control", "max-age=3600"}}};
    });
    server_.route("/sw.js", [](const testing::Request&) {
      return testing::Response{.content_type = "text/javascript",
                               .body = "self.onfetch = () => {};"};
    });
    server_.page("/read", R"(<title></title><script>
      (async () => {
        await fetch('/cached');
        const workers = (await navigator.serviceWorker.getRegistrations()).length;
        const caches_kept = (await caches.keys()).length;
        const db = await new Promise(done => {
          const open = indexedDB.open('db');
          open.onsuccess = () => done(open.result.objectStoreNames.length ? 'kept' : 'none');
        });
        document.title = 'done cookie=' + document.cookie + ';local=' + localStorage.getItem('k') +
          ';session=' + sessionStorage.getItem('k') + ';db=' + db + ';workers=' + workers +
          ';caches=' + caches_kept;
      })();</script>)");
    const auto wait_done = R"j({"wait_for_function": "document.title.startsWith('done')"})j";
    const int rounds = 3;  // more captures than tabs: every slot is reused
    const int reused_before = pool_->stats().tabs_reset;
    for (int i = 0; i < rounds; ++i) {
      auto set = shoot(server_.url("/set"), wait_done);
      ASSERT_TRUE(set) << set.error().message;
      ASSERT_EQ(set->facts.title, "done") << set->facts.final_url;
      auto r = shoot(server_.url("/read"), wait_done);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->facts.title, "done cookie=;local=null;session=null;db=none;workers=0;caches=0");
    }
    // No response came from another capture's cache.
    EXPECT_EQ(server_.hits("/cached"), 2 * rounds);
    for (auto& req : server_.requests()) {
      if (req.path() == "/read") {
        EXPECT_EQ(req.header("cookie"), "");
      }
    }
    // And the captures did share tabs: isolation came from resetting them.
    EXPECT_GE(pool_->stats().tabs_reset - reused_before, 2 * rounds - 2);
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
