#include "browser/browser.hpp"

#include "cdp/params.hpp"
#include "cdp/pipe_transport.hpp"
#include "core/log.hpp"

namespace shot::browser {
namespace {

constexpr Millis kCloseBudget{5000};
using cdp::Params;

// Dialogs never block a capture: accept them as a person clicking OK would.
void accept_dialogs(const std::shared_ptr<cdp::Session>& session) {
  std::weak_ptr<cdp::Session> weak = session;
  session->on("Page.javascriptDialogOpening", [weak](const json::object&) {
    if (auto s = weak.lock()) s->send("Page.handleJavaScriptDialog", Params()("accept", true));
  });
}

// Sends a command whose answer nobody needs; the copies keep the browser and
// the session alive until it arrives (or the budget passes).
void fire_and_forget(const std::shared_ptr<Browser>& browser, std::string method,
                     json::object params, std::shared_ptr<cdp::Session> keep = nullptr) {
  auto reply = browser->connection().send(std::move(method), std::move(params), "");
  asio::co_spawn(
      browser->connection().executor(),
      [browser, reply, keep]() -> Task<void> { co_await reply->wait(Deadline::in(kCloseBudget)); },
      asio::detached);
}

// Waits for every reply; the first failure wins.
Task<Result<void>> wait_all(std::vector<std::shared_ptr<cdp::OneShot>> replies, Deadline deadline) {
  std::optional<Error> first;
  for (auto& r : replies) {
    auto ok = co_await r->wait(deadline);
    if (!ok && !first) first = ok.error();
  }
  if (first) co_return fail(std::move(*first));
  co_return Result<void>{};
}

// Forgets the pages of the last capture, so history.length starts afresh.
// Just after a navigation commits, Chromium may not yet have moved the
// session to the new document and answers "Not attached to an active page"
// (seen under load after the reset's about:blank): asking again soon succeeds.
Task<Result<void>> reset_history(cdp::Session& session, Deadline deadline) {
  for (int attempt = 1;; ++attempt) {
    auto ok = co_await session.call("Page.resetNavigationHistory", {}, deadline);
    if (ok) co_return Result<void>{};
    bool moving = ok.error().message.find("Not attached to an active page") != std::string::npos;
    if (!moving || attempt == 100 || deadline.expired()) co_return fail(ok.error());
    co_await sleep_for(Millis(10));
  }
}

bool is_web_origin(std::string_view origin) {
  return origin.starts_with("http://") || origin.starts_with("https://");
}

}  // namespace

Page::Page(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> session,
           std::string target_id)
    : browser_(std::move(browser)),
      session_(std::move(session)),
      target_id_(std::move(target_id)) {}

Page::~Page() {
  if (!browser_->alive() || session_->gone()) return;
  json::object params = Params()("sessionId", session_->id());
  fire_and_forget(browser_, "Target.detachFromTarget", std::move(params), std::move(session_));
}

Tab::Tab(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> control,
         std::string target_id, std::string context_id)
    : browser_(std::move(browser)),
      control_(std::move(control)),
      target_id_(std::move(target_id)),
      context_id_(std::move(context_id)) {
  accept_dialogs(control_);
  listeners_.push_back(
      control_->on("Page.frameNavigated", [this](const json::object& p) { on_frame(p); }));
  listeners_.push_back(
      control_->on("Page.frameAttached", [this](const json::object&) { on_child_frame(); }));
}

Tab::~Tab() {
  kept_.reset();
  for (int id : listeners_)
    control_->off(id);
  if (!browser_->alive()) return;
  json::object params = Params()("browserContextId", context_id_);
  fire_and_forget(browser_, "Target.disposeBrowserContext", std::move(params), std::move(control_));
}

bool Tab::alive() const {
  return browser_->alive() && !control_->gone();
}

void Tab::on_frame(const json::object& params) {
  const auto* frame = params.if_contains("frame");
  if (!frame || !frame->is_object()) return;
  const auto& f = frame->as_object();
  if (f.contains("parentId")) return on_child_frame();
  std::string origin(json_string(f, "securityOrigin"));
  if (!is_web_origin(origin)) return;
  origins_.insert(std::move(origin));
}

// A child frame may be out of process and keep storage partitioned under this
// site, which clearing by origin does not reach.
void Tab::on_child_frame() {
  unclearable_ = true;
}

Task<Result<std::unique_ptr<Page>>> Tab::attach(Deadline deadline) {
  if (auto page = std::move(kept_); page && !page->session().gone()) {
    auto ok = co_await reset_history(page->session(), deadline);
    if (!ok) co_return fail(ok.error());
    page->keep(false);  // until this capture, too, proves to set nothing else
    ++captures_;
    browser_->count_page();
    co_return page;
  }
  auto attached = co_await browser_->call(
      "Target.attachToTarget", Params()("targetId", target_id_)("flatten", true), deadline);
  if (!attached) co_return fail(attached.error());
  auto session = cdp::Session::create(browser_->shared_connection(),
                                      std::string(json_string(*attached, "sessionId")));
  auto page = std::make_unique<Page>(browser_->shared_from_this(), session, target_id_);
  accept_dialogs(session);
  // The domains every capture uses, in one round trip.
  // (Named first: GCC 12 miscompiles initializer lists in coroutines.)
  std::vector<std::shared_ptr<cdp::OneShot>> replies;
  replies.push_back(session->send("Page.enable"));
  replies.push_back(session->send("Page.setLifecycleEventsEnabled", Params()("enabled", true)));
  auto ok = co_await wait_all(std::move(replies), deadline);
  if (!ok) co_return fail(ok.error());
  ok = co_await reset_history(*session, deadline);
  if (!ok) co_return fail(ok.error());
  ++captures_;
  browser_->count_page();
  co_return page;
}

Task<Result<void>> Tab::reset(Deadline deadline) {
  if (!alive()) co_return fail(Errc::browser_crashed, "the tab is gone");
  if (unclearable_ || origins_.size() > 1)
    co_return fail(Errc::conflict, "the capture reached state kept by other sites");
  // sessionStorage belongs to the tab, not to the origin's storage. Cleared
  // through DevTools, not by the page's own sessionStorage.clear(), which the
  // page may have replaced; and while the document is the origin's, since
  // DevTools finds the storage through a frame showing it.
  for (const auto& origin : origins_) {
    json::object storage = Params()("securityOrigin", origin)("isLocalStorage", false);
    auto cleared = co_await control_->call("DOMStorage.clear",
                                           Params()("storageId", std::move(storage)), deadline);
    if (!cleared) co_return fail(Errc::conflict, "sessionStorage: " + cleared.error().message);
  }
  // Unload, so the page writes nothing after it is cleared; the rest needs the
  // new document committed (the session follows it there).
  const std::string& main_frame = target_id_;
  auto committed = control_->expect("Page.frameNavigated", [&main_frame](const json::object& p) {
    const auto* frame = p.if_contains("frame");
    return frame && frame->is_object() && json_string(frame->as_object(), "id") == main_frame;
  });
  auto blank = co_await control_->call("Page.navigate", Params()("url", "about:blank"), deadline);
  if (!blank) co_return fail(blank.error());
  if (auto ok = co_await committed->wait(deadline); !ok) co_return fail(ok.error());

  std::vector<std::shared_ptr<cdp::OneShot>> replies;
  // The last page is garbage now: collected here, while the browser clears
  // the context, the renderer takes a few MB of heap into the next capture
  // instead of the 30-90 MB of pages it has shown (docs/performance.md).
  replies.push_back(control_->send("HeapProfiler.collectGarbage"));
  replies.push_back(control_->send("Network.clearBrowserCache"));
  json::object context = Params()("browserContextId", context_id_);
  replies.push_back(browser_->connection().send("Storage.clearCookies", context, ""));
  replies.push_back(browser_->connection().send("Browser.resetPermissions", context, ""));
  for (const auto& origin : origins_)
    replies.push_back(control_->send("Storage.clearDataForOrigin",
                                     Params()("origin", origin)("storageTypes", "all")));
  auto cleared = co_await wait_all(std::move(replies), deadline);
  if (!cleared) co_return fail(cleared.error());
  origins_.clear();
  co_return Result<void>{};
}

Browser::Browser(ChromiumProcess process, std::shared_ptr<cdp::Connection> connection)
    : process_(std::move(process)), connection_(std::move(connection)) {}

Browser::~Browser() {
  connection_->close();
  process_.terminate();
}

Task<Result<std::shared_ptr<Browser>>> Browser::launch(Executor executor, ChromiumOptions options,
                                                       Deadline deadline) {
  auto process = ChromiumProcess::launch(options);
  if (!process) co_return fail(process.error());
  auto transport =
      cdp::make_pipe_transport(executor, process->take_write_fd(), process->take_read_fd());
  auto connection = cdp::Connection::create(executor, std::move(transport));
  connection->start();
  std::shared_ptr<Browser> b(new Browser(std::move(*process), connection));

  // The browser is ready when it answers; downloads are refused everywhere.
  auto version = co_await b->call("Browser.getVersion", {}, deadline);
  if (!version) {
    co_return fail(Errc::unavailable, "Chromium did not start: " + version.error().message);
  }
  b->version_ = std::string(json_string(*version, "product"));
  co_await b->call("Browser.setDownloadBehavior", Params()("behavior", "deny"), deadline);
  // The page Chromium opens at start is never used: its renderer goes.
  if (auto targets = co_await b->call("Target.getTargets", {}, deadline))
    if (auto* list = targets->if_contains("targetInfos"); list && list->is_array())
      for (auto& t : list->get_array())
        if (t.is_object() && json_string(t.get_object(), "type") == "page")
          fire_and_forget(b, "Target.closeTarget",
                          Params()("targetId", json_string(t.get_object(), "targetId")));
  log::info("chromium {} started (pid {})", b->version_, b->pid());
  co_return b;
}

Task<Result<json::object>> Browser::call(std::string method, json::object params,
                                         Deadline deadline) {
  co_return co_await connection_->call(std::move(method), std::move(params), "", deadline);
}

Task<Result<std::unique_ptr<Tab>>> Browser::open_tab(Deadline deadline) {
  auto self = shared_from_this();
  auto ctx =
      co_await call("Target.createBrowserContext", Params()("disposeOnDetach", true), deadline);
  if (!ctx) co_return fail(ctx.error());
  std::string context_id(json_string(*ctx, "browserContextId"));
  // Downloads are per context too.
  connection_->send("Browser.setDownloadBehavior",
                    Params()("behavior", "deny")("browserContextId", context_id), "");
  json::object create =
      Params()("url", "about:blank")("newWindow", true)("browserContextId", context_id);
  auto target = co_await call("Target.createTarget", std::move(create), deadline);
  if (!target) co_return fail(target.error());
  std::string target_id(json_string(*target, "targetId"));
  auto attached = co_await call("Target.attachToTarget",
                                Params()("targetId", target_id)("flatten", true), deadline);
  if (!attached) co_return fail(attached.error());
  auto control =
      cdp::Session::create(connection_, std::string(json_string(*attached, "sessionId")));
  auto tab = std::make_unique<Tab>(self, control, std::move(target_id), std::move(context_id));
  // Page events tell the tab which origins to clear.
  if (auto ok = co_await control->call("Page.enable", {}, deadline); !ok)
    co_return fail(ok.error());
  co_return tab;
}

void Browser::kill() {
  process_.terminate();
  connection_->close();
}

}  // namespace shot::browser
