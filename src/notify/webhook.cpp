#include "notify/webhook.hpp"

#include <chrono>
#include <random>

#include "core/digest.hpp"
#include "core/log.hpp"

namespace shot::notify {

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, t + "." + std::string(body));
}

WebhookNotifier::WebhookNotifier(Executor executor, asio::thread_pool& blocking,
                                 std::unique_ptr<net::HttpClient> client, WebhookOptions options)
    : executor_(executor),
      blocking_(blocking),
      client_(std::move(client)),
      options_(std::move(options)) {}

WebhookNotifier::~WebhookNotifier() {
  *alive_ = false;
}

void WebhookNotifier::send(std::string url, std::string payload) {
  std::weak_ptr<bool> alive = alive_;
  auto client = client_;
  auto stats = stats_;
  auto options = options_;
  auto& pool = blocking_;
  asio::co_spawn(
      executor_,
      [=, &pool]() -> Task<void> {
        std::mt19937 rng(std::random_device{}());
        Millis delay = options.first_delay;
        for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
          auto token = alive.lock();
          if (!token || !*token) co_return;
          auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
          net::HttpRequest req;
          req.method = "POST";
          req.url = url;
          req.body = payload;
          req.timeout = options.timeout;
          req.follow_redirects = false;
          req.max_response_bytes = 64 * 1024;
          req.headers.emplace_back("Content-Type", "application/json");
          req.headers.emplace_back("User-Agent", "shot-webhook/1");
          req.headers.emplace_back("X-Shot-Signature",
                                   webhook_signature(options.secret, now, payload));
          req.headers.emplace_back("X-Shot-Attempt", std::to_string(attempt));
          auto resp = co_await offload(pool, [&] { return client->fetch(req); });
          if (resp && resp->status >= 200 && resp->status < 300) {
            ++stats->delivered;
            co_return;
          }
          std::string why = resp ? "HTTP " + std::to_string(resp->status) : resp.error().message;
          if (attempt == options.max_attempts) {
            ++stats->failed;
            log::warn("webhook to {} failed for good after {} attempts: {}", url, attempt, why);
            co_return;
          }
          ++stats->retried;
          // Full jitter: somewhere between half and all of the back-off.
          auto wait = Millis(delay.count() / 2 +
                             std::uniform_int_distribution<long>(0, delay.count() / 2)(rng));
          log::info("webhook to {} failed ({}); retry {} in {} ms", url, why, attempt + 1,
                    wait.count());
          co_await sleep_for(wait);
          delay *= 2;
        }
      },
      asio::detached);
}

}  // namespace shot::notify
