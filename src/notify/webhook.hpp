#pragma once
// Webhooks: a JSON POST to the callback URL, signed with
//   X-Shot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// and retried with jittered exponential back-off. Delivery goes through the
// egress policy like every other request made on a user's behalf.

#include <atomic>
#include <memory>

#include "core/asio.hpp"
#include "net/http_client.hpp"
#include "notify/notifier.hpp"

namespace shot::notify {

struct WebhookOptions {
  std::string secret;
  int max_attempts = 6;
  Millis first_delay{1000};
  Millis timeout{10'000};
};

struct WebhookStats {
  std::atomic<std::int64_t> delivered{0}, retried{0}, failed{0};
};

// The header value for `body` signed at `unix_seconds`.
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body);

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(Executor executor, asio::thread_pool& blocking,
                  std::unique_ptr<net::HttpClient> client, WebhookOptions options);
  ~WebhookNotifier() override;
  void send(std::string url, std::string payload) override;
  const WebhookStats& stats() const { return *stats_; }

 private:
  Executor executor_;
  asio::thread_pool& blocking_;
  std::shared_ptr<net::HttpClient> client_;
  WebhookOptions options_;
  std::shared_ptr<WebhookStats> stats_ = std::make_shared<WebhookStats>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shot::notify
