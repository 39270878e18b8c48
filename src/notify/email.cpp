#include "notify/email.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>

#include "core/base64.hpp"
#include "core/id.hpp"
#include "core/log.hpp"

namespace shot::notify {
namespace {

constexpr std::size_t kMaxAddress = 254;  // RFC 5321 path limit minus the brackets

bool atom_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::strchr("!#$%&'*+-/=?^_`{|}~.", c) != nullptr && c != '\0';
}

// A header value the user does not control is still kept on one line.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text)
    out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// A file name for Content-Disposition: plain characters only.
std::string safe_filename(std::string_view name) {
  std::string out;
  for (char c : name)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "attachment" : out;
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

}  // namespace

Result<void> check_address(std::string_view address, std::string_view field) {
  std::string f(field);
  if (address.empty()) return fail(Errc::invalid_argument, "the e-mail address is empty", f);
  if (address.size() > kMaxAddress)
    return fail(Errc::invalid_argument,
                "the e-mail address is longer than " + std::to_string(kMaxAddress) + " bytes", f);
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@') != at || at > 64)
    return fail(Errc::invalid_argument, "one e-mail address, like name@example.com", f);
  auto local = address.substr(0, at);
  auto domain = address.substr(at + 1);
  for (char c : local)
    if (!atom_char(c))
      return fail(Errc::invalid_argument, "the e-mail address holds a character not allowed", f);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return fail(Errc::invalid_argument, "the e-mail address is malformed", f);
  // A host name: labels of letters, digits and hyphens.
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    auto label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return fail(Errc::invalid_argument, "the e-mail address has a malformed domain", f);
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return fail(Errc::invalid_argument, "the e-mail address has a malformed domain", f);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

std::string mime_message(const Mail& mail, std::string_view from, std::string_view boundary,
                         std::string_view date, std::string_view message_id) {
  std::string b(boundary);
  std::string m;
  m += "Date: " + std::string(date) + "\r\n";
  m += "From: <" + one_line(from) + ">\r\n";
  m += "To: <" + one_line(mail.to) + ">\r\n";
  m += "Subject: " + one_line(mail.subject) + "\r\n";
  m += "Message-ID: <" + one_line(message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n";
  m += "\r\n";
  m += "--" + b + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  auto lines = [&m](std::string_view encoded) {
    for (std::size_t i = 0; i < encoded.size(); i += 76)
      m.append(encoded.substr(i, 76)).append("\r\n");
  };
  lines(base64_encode(mail.text));
  for (const auto& a : mail.attachments) {
    std::string name = safe_filename(a.filename);
    m += "--" + b + "\r\n";
    m += "Content-Type: " + one_line(a.content_type) + "; name=\"" + name + "\"\r\n";
    m += "Content-Transfer-Encoding: base64\r\n";
    m += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n";
    lines(base64_encode(a.bytes));
  }
  m += "--" + b + "--\r\n";
  return m;
}

Result<void> send_smtp(const SmtpOptions& options, const Mail& mail) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (auto ok = check_address(mail.to, "to"); !ok) return ok;
  std::string domain = options.from.substr(options.from.rfind('@') + 1);
  std::string message = mime_message(mail, options.from, "shot-" + random_hex(12), rfc5322_date(),
                                     new_id() + "@" + domain);
  std::unique_ptr<CURL, EasyDeleter> h(curl_easy_init());
  if (!h) return fail(Errc::internal, "curl_easy_init failed");
  std::string from = "<" + options.from + ">";
  std::string to = "<" + mail.to + ">";
  std::unique_ptr<curl_slist, ListDeleter> rcpt(curl_slist_append(nullptr, to.c_str()));
  Upload up{message};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h.get(), CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h.get(), CURLOPT_PROXY, "");
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(h.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h.get(), CURLOPT_READFUNCTION, &read_upload);
  curl_easy_setopt(h.get(), CURLOPT_READDATA, &up);
  curl_easy_setopt(h.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    Errc code = rc == CURLE_OPERATION_TIMEDOUT ? Errc::timeout : Errc::unavailable;
    // The server refused the recipient: trying again will not help.
    if (rc == CURLE_SEND_ERROR || rc == CURLE_LOGIN_DENIED) code = Errc::invalid_argument;
    return fail(code, "SMTP: " + why);
  }
  return {};
}

SmtpMailer::SmtpMailer(Executor executor, asio::thread_pool& blocking, SmtpOptions options)
    : executor_(executor), blocking_(blocking), options_(std::move(options)) {}

SmtpMailer::~SmtpMailer() {
  *alive_ = false;
}

void SmtpMailer::send(Mail mail) {
  std::weak_ptr<bool> alive = alive_;
  auto stats = stats_;
  auto options = options_;
  auto& pool = blocking_;
  asio::co_spawn(
      executor_,
      [=, &pool, mail = std::move(mail)]() -> Task<void> {
        std::mt19937 rng(std::random_device{}());
        Millis delay = options.first_delay;
        for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
          auto token = alive.lock();
          if (!token || !*token) co_return;
          auto sent = co_await offload(pool, [&] { return send_smtp(options, mail); });
          if (sent) {
            ++stats->delivered;
            log::info("mail to {} sent", mail.to);
            co_return;
          }
          if (attempt == options.max_attempts || sent.error().code == Errc::invalid_argument) {
            ++stats->failed;
            log::warn("mail to {} failed for good after {} attempts: {}", mail.to, attempt,
                      sent.error().message);
            co_return;
          }
          ++stats->retried;
          auto wait = Millis(delay.count() / 2 +
                             std::uniform_int_distribution<long>(0, delay.count() / 2)(rng));
          log::info("mail to {} failed ({}); retry {} in {} ms", mail.to, sent.error().message,
                    attempt + 1, wait.count());
          co_await sleep_for(wait);
          delay *= 2;
        }
      },
      asio::detached);
}

}  // namespace shot::notify
