#pragma once
// E-mail push: a message with attachments, sent through the operator's SMTP
// server (`--smtp smtp://host:port`, libcurl) in the background and retried.
// The server is trusted configuration; the recipient is user input and is
// checked by check_address before anything is queued.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/asio.hpp"
#include "core/deadline.hpp"
#include "core/error.hpp"

namespace shot::notify {

struct Attachment {
  std::string filename;
  std::string content_type;
  std::string bytes;
};

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
  std::vector<Attachment> attachments;
};

// The interface the service layer sees.
class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers `mail` in the background, retried.
  virtual void send(Mail mail) = 0;
};

// One plain address (local@domain), at most 254 bytes, no CR/LF, spaces,
// angle brackets, commas or other list/header syntax. Errors name `field`.
Result<void> check_address(std::string_view address, std::string_view field = "email");

// The RFC 5322 message: headers, then multipart/mixed with a text part and
// each attachment in base64 (76-character lines). CRLF line ends throughout.
std::string mime_message(const Mail& mail, std::string_view from, std::string_view boundary,
                         std::string_view date, std::string_view message_id);

struct SmtpOptions {
  std::string url;   // smtp://host:port (smtps:// for TLS)
  std::string from;  // envelope and From: address
  int max_attempts = 4;
  Millis first_delay{1000};
  Millis timeout{30'000};
};

// Sends one message now (blocking: run it on a thread pool).
Result<void> send_smtp(const SmtpOptions& options, const Mail& mail);

struct MailStats {
  std::atomic<std::int64_t> delivered{0}, retried{0}, failed{0};
};

class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(Executor executor, asio::thread_pool& blocking, SmtpOptions options);
  ~SmtpMailer() override;
  void send(Mail mail) override;
  const MailStats& stats() const { return *stats_; }

 private:
  Executor executor_;
  asio::thread_pool& blocking_;
  SmtpOptions options_;
  std::shared_ptr<MailStats> stats_ = std::make_shared<MailStats>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shot::notify
