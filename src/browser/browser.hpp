#pragma once
// One running Chromium and its DevTools connection. A Tab is a window target
// (capturing a background tab can hang), in its own incognito browser context,
// that lives across captures: each capture gets a Page, a fresh
// session attached to the tab, and between captures the tab is reset (its
// session's overrides dropped, the page unloaded, the context's cookies,
// storage, cache and permissions cleared) or, when that cannot be made
// complete, replaced.

#include <memory>
#include <set>
#include <vector>

#include "browser/chromium_process.hpp"
#include "cdp/connection.hpp"
#include "cdp/session.hpp"

namespace shot::browser {

class Browser;

// One capture's view of a tab: a session of its own, with the Page domain and
// lifecycle events on. Destroying it detaches the session, which drops every
// override the capture set (emulation, headers, interception, scripts).
// A session that carries nothing but the baseline every capture sets is kept
// for the tab's next capture instead: attaching a new one, enabling its
// domains and emulating the device again costs Chromium about 45 ms of CPU.
class Page {
 public:
  Page(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> session,
       std::string target_id);
  ~Page();
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  cdp::Session& session() { return *session_; }
  const std::string& target_id() const { return target_id_; }
  Browser& browser() { return *browser_; }

  // What the captures on this session set that the next one may find in
  // place, so it sets only what differs.
  struct Baseline {
    std::string metrics;   // the device metrics override, as a key
    bool network = false;  // the Network domain is on
    std::string probes;    // the readiness probes' script identifier, when installed
  };
  Baseline& baseline() { return baseline_; }

  // Set after a capture that set nothing beyond the baseline: the session
  // stays attached to the tab for its next capture.
  void keep(bool keep) { keep_ = keep; }
  bool kept() const { return keep_; }

 private:
  std::shared_ptr<Browser> browser_;
  std::shared_ptr<cdp::Session> session_;
  std::string target_id_;
  Baseline baseline_;
  bool keep_ = false;
};

class Tab {
 public:
  Tab(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> control,
      std::string target_id, std::string context_id);
  ~Tab();  // disposes its context (and so the target) in the background
  Tab(const Tab&) = delete;
  Tab& operator=(const Tab&) = delete;

  // A session for one capture: the kept one, or a fresh one.
  Task<Result<std::unique_ptr<Page>>> attach(Deadline deadline);

  // Holds the last capture's session (Page::kept) for the next attach.
  void keep(std::unique_ptr<Page> page) { kept_ = std::move(page); }

  // Clears what the last capture left, so the next one sees a new browser
  // profile, and collects the last page's garbage in the renderer. Fails (and
  // the tab must be dropped) when the tab is gone or when the capture reached
  // state that clearing by origin cannot reach: frames of other origins
  // (partitioned storage) or more origins than it tracks.
  Task<Result<void>> reset(Deadline deadline);

  Browser& browser() { return *browser_; }
  bool alive() const;
  int captures() const { return captures_; }
  const std::string& target_id() const { return target_id_; }

 private:
  void on_frame(const json::object& params);
  void on_child_frame();

  std::shared_ptr<Browser> browser_;
  std::shared_ptr<cdp::Session> control_;
  std::string target_id_;
  std::string context_id_;
  std::set<std::string> origins_;  // committed by the main frame since the last reset
  bool unclearable_ = false;       // a child frame or too many origins seen
  std::vector<int> listeners_;
  int captures_ = 0;
  std::unique_ptr<Page> kept_;
};

class Browser : public std::enable_shared_from_this<Browser> {
 public:
  static Task<Result<std::shared_ptr<Browser>>> launch(Executor executor, ChromiumOptions options,
                                                       Deadline deadline);
  ~Browser();

  bool alive() const { return !connection_->closed(); }
  pid_t pid() const { return process_.pid(); }
  const std::string& version() const { return version_; }
  cdp::Connection& connection() { return *connection_; }
  std::shared_ptr<cdp::Connection> shared_connection() { return connection_; }

  Task<Result<json::object>> call(std::string method, json::object params, Deadline deadline);

  // A new window target in a fresh incognito context of its own.
  Task<Result<std::unique_ptr<Tab>>> open_tab(Deadline deadline);

  // Pages (captures) served so far, for recycling decisions.
  int pages_opened() const { return pages_opened_; }
  void count_page() { ++pages_opened_; }

  // Kills the process group now; every pending call fails.
  void kill();

 private:
  Browser(ChromiumProcess process, std::shared_ptr<cdp::Connection> connection);

  ChromiumProcess process_;
  std::shared_ptr<cdp::Connection> connection_;
  std::string version_;
  int pages_opened_ = 0;
};

}  // namespace shot::browser
