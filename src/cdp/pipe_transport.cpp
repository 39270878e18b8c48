#include "cdp/pipe_transport.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "cdp/frame_splitter.hpp"

namespace shot::cdp {
namespace {

class PipeTransport final : public Transport, public std::enable_shared_from_this<PipeTransport> {
 public:
  PipeTransport(Executor ex, int write_fd, int read_fd)
      : out_(ex, write_fd), in_(ex, read_fd), splitter_(kMaxFrameBytes) {}

  void start(OnMessage on_message, OnClosed on_closed) override {
    on_message_ = std::move(on_message);
    on_closed_ = std::move(on_closed);
    asio::co_spawn(in_.get_executor(), read_loop(shared_from_this()), asio::detached);
  }

  void send(std::string message) override {
    if (closed_) return;
    message.push_back('\0');
    queue_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(out_.get_executor(), write_loop(shared_from_this()), asio::detached);
    }
  }

  void close() override { shut("transport closed"); }

 private:
  // The coroutines hold `self` so the transport outlives its pending operations.
  Task<void> read_loop(std::shared_ptr<PipeTransport> /*self*/) {
    std::string buffer(1 << 20, '\0');
    for (;;) {
      auto [ec, n] = co_await in_.async_read_some(asio::buffer(buffer), use_task);
      if (ec) {
        shut(ec == asio::error::eof ? "browser closed the pipe" : ec.message());
        co_return;
      }
      bool ok = splitter_.feed(std::string_view(buffer.data(), n), [&](std::string&& m) {
        if (!closed_ && on_message_) on_message_(std::move(m));
      });
      if (!ok) {
        shut("DevTools message larger than the limit");
        co_return;
      }
    }
  }

  Task<void> write_loop(std::shared_ptr<PipeTransport> /*self*/) {
    while (!queue_.empty() && !closed_) {
      auto [ec, n] = co_await asio::async_write(out_, asio::buffer(queue_.front()), use_task);
      if (ec) {
        shut("write to browser failed: " + ec.message());
        break;
      }
      queue_.pop_front();
    }
    writing_ = false;
  }

  void shut(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    in_.close(ignored);
    out_.close(ignored);
    queue_.clear();
    if (auto cb = std::move(on_closed_)) cb(why);
    on_message_ = nullptr;
  }

  asio::posix::stream_descriptor out_;
  asio::posix::stream_descriptor in_;
  FrameSplitter splitter_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closed_ = false;
  OnMessage on_message_;
  OnClosed on_closed_;
};

// Owns the shared transport; closing on destruction breaks the read loop's self-reference.
class PipeTransportHandle final : public Transport {
 public:
  explicit PipeTransportHandle(std::shared_ptr<PipeTransport> t) : t_(std::move(t)) {}
  ~PipeTransportHandle() override { t_->close(); }
  void start(OnMessage m, OnClosed c) override { t_->start(std::move(m), std::move(c)); }
  void send(std::string message) override { t_->send(std::move(message)); }
  void close() override { t_->close(); }

 private:
  std::shared_ptr<PipeTransport> t_;
};

}  // namespace

std::unique_ptr<Transport> make_pipe_transport(Executor executor, int write_fd, int read_fd) {
  return std::make_unique<PipeTransportHandle>(
      std::make_shared<PipeTransport>(executor, write_fd, read_fd));
}

}  // namespace shot::cdp
