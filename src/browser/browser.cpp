#include "browser/browser.hpp"

#include "cdp/params.hpp"
#include "cdp/pipe_transport.hpp"
#include "core/log.hpp"

namespace shot::browser {
namespace {

constexpr Millis kCloseBudget{5000};
using cdp::Params;

}  // namespace

Page::Page(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> session,
           std::string target_id, std::string context_id)
    : browser_(std::move(browser)),
      session_(std::move(session)),
      target_id_(std::move(target_id)),
      context_id_(std::move(context_id)) {}

Page::~Page() {
  if (!browser_->alive()) return;
  // Fire and forget: the browser is kept alive by the copy until the reply.
  auto browser = browser_;
  auto session = std::move(session_);
  json::object params;
  std::string method;
  if (!context_id_.empty()) {
    method = "Target.disposeBrowserContext";
    params["browserContextId"] = context_id_;
  } else {
    method = "Target.closeTarget";
    params["targetId"] = target_id_;
  }
  auto reply = browser->connection().send(std::move(method), std::move(params), "");
  asio::co_spawn(
      browser->connection().executor(),
      [browser, reply, session]() -> Task<void> {
        co_await reply->wait(Deadline::in(kCloseBudget));
      },
      asio::detached);
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
  log::info("chromium {} started (pid {})", b->version_, b->pid());
  co_return b;
}

Task<Result<json::object>> Browser::call(std::string method, json::object params,
                                         Deadline deadline) {
  co_return co_await connection_->call(std::move(method), std::move(params), "", deadline);
}

Task<Result<std::unique_ptr<Page>>> Browser::new_page(bool isolated, Deadline deadline) {
  auto self = shared_from_this();
  std::string context_id;
  if (isolated) {
    auto ctx =
        co_await call("Target.createBrowserContext", Params()("disposeOnDetach", true), deadline);
    if (!ctx) co_return fail(ctx.error());
    context_id = std::string(json_string(*ctx, "browserContextId"));
    // Downloads are per context too.
    connection_->send("Browser.setDownloadBehavior",
                      Params()("behavior", "deny")("browserContextId", context_id), "");
  }
  json::object create = Params()("url", "about:blank")("newWindow", true);
  if (!context_id.empty()) create["browserContextId"] = context_id;
  auto target = co_await call("Target.createTarget", std::move(create), deadline);
  if (!target) co_return fail(target.error());
  std::string target_id(json_string(*target, "targetId"));
  auto attached = co_await call("Target.attachToTarget",
                                Params()("targetId", target_id)("flatten", true), deadline);
  if (!attached) co_return fail(attached.error());
  auto session =
      cdp::Session::create(connection_, std::string(json_string(*attached, "sessionId")));
  ++pages_opened_;

  // Dialogs never block a capture: accept them as a person clicking OK would.
  std::weak_ptr<cdp::Session> weak = session;
  session->on("Page.javascriptDialogOpening", [weak](const json::object&) {
    if (auto s = weak.lock()) s->send("Page.handleJavaScriptDialog", Params()("accept", true));
  });
  // Enable the domains every capture uses, in one round trip.
  auto page_enabled = session->send("Page.enable");
  auto lifecycle = session->send("Page.setLifecycleEventsEnabled", Params()("enabled", true));
  if (auto ok = co_await page_enabled->wait(deadline); !ok) co_return fail(ok.error());
  if (auto ok = co_await lifecycle->wait(deadline); !ok) co_return fail(ok.error());
  co_return std::make_unique<Page>(self, std::move(session), std::move(target_id),
                                   std::move(context_id));
}

void Browser::kill() {
  process_.terminate();
  connection_->close();
}

}  // namespace shot::browser
