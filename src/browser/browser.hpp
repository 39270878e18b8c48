#pragma once
// One running Chromium and its DevTools connection. Pages are targets, each
// in its own window (capturing a background tab can hang) and, when isolated,
// its own incognito browser context.

#include <memory>

#include "browser/chromium_process.hpp"
#include "cdp/connection.hpp"
#include "cdp/session.hpp"

namespace shot::browser {

class Browser;

// A page target with an attached session, ready to navigate.
class Page {
 public:
  Page(std::shared_ptr<Browser> browser, std::shared_ptr<cdp::Session> session,
       std::string target_id, std::string context_id);
  ~Page();  // closes the target (and disposes its context) in the background
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  cdp::Session& session() { return *session_; }
  const std::string& target_id() const { return target_id_; }
  const std::string& context_id() const { return context_id_; }
  Browser& browser() { return *browser_; }

 private:
  std::shared_ptr<Browser> browser_;
  std::shared_ptr<cdp::Session> session_;
  std::string target_id_;
  std::string context_id_;
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

  Task<Result<json::object>> call(std::string method, json::object params, Deadline deadline);

  // A new page; `isolated` gives it a fresh incognito context of its own.
  Task<Result<std::unique_ptr<Page>>> new_page(bool isolated, Deadline deadline);

  // Pages opened so far (for recycling decisions).
  int pages_opened() const { return pages_opened_; }

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
