#include "support/smtp_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

#include "core/base64.hpp"

namespace shot::testing {
namespace {

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The address inside "<...>" after a command like "MAIL FROM:".
std::string address_of(const std::string& line) {
  auto open = line.find('<');
  auto close = line.find('>', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  return line.substr(open + 1, close - open - 1);
}

// Reads CRLF-terminated lines from a socket, with a bound on each wait.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  bool line(std::string& out) {
    while (true) {
      auto end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        out = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 30'000) <= 0) return false;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string header_in(const std::string& headers, const std::string& name) {
  std::string want = lower(name) + ":";
  std::size_t pos = 0;
  while (pos < headers.size()) {
    auto end = headers.find("\r\n", pos);
    if (end == std::string::npos) end = headers.size();
    std::string line = headers.substr(pos, end - pos);
    if (lower(line.substr(0, want.size())) == want) {
      auto value = line.substr(want.size());
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      return value;
    }
    pos = end + 2;
  }
  return {};
}

}  // namespace

std::string MimePart::header(const std::string& name) const {
  return header_in(headers, name);
}

std::string mail_header(const std::string& message, const std::string& name) {
  return header_in(message.substr(0, message.find("\r\n\r\n")), name);
}

std::vector<MimePart> mime_parts(const std::string& message) {
  std::vector<MimePart> parts;
  std::string type = mail_header(message, "Content-Type");
  auto b = type.find("boundary=\"");
  if (b == std::string::npos) return parts;
  std::string boundary = "--" + type.substr(b + 10, type.find('"', b + 10) - b - 10);
  std::size_t pos = message.find(boundary);
  while (pos != std::string::npos) {
    pos += boundary.size();
    if (message.compare(pos, 2, "--") == 0) break;
    auto headers_end = message.find("\r\n\r\n", pos);
    auto next = message.find("\r\n" + boundary, headers_end);
    if (headers_end == std::string::npos || next == std::string::npos) break;
    MimePart part;
    part.headers = message.substr(pos + 2, headers_end - pos - 2);
    std::string body = message.substr(headers_end + 4, next - headers_end - 4);
    if (lower(part.header("Content-Transfer-Encoding")) == "base64") {
      std::string compact;
      for (char c : body)
        if (c != '\r' && c != '\n') compact += c;
      body = base64_decode(compact).value_or("");
    }
    part.body = std::move(body);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return parts;
}

SmtpSink::SmtpSink() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("SmtpSink: cannot listen");
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

SmtpSink::~SmtpSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
}

void SmtpSink::accept_loop() {
  while (true) {
    pollfd p{listen_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (ready <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void SmtpSink::serve(int fd) {
  LineReader in(fd);
  if (!write_all(fd, "220 sink ESMTP ready\r\n")) return;
  ReceivedMail mail;
  std::string line;
  while (in.line(line)) {
    std::string verb = lower(line.substr(0, 4));
    std::string reply = "250 OK\r\n";
    if (verb == "ehlo") {
      reply = "250-sink\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n";
    } else if (verb == "helo") {
      reply = "250 sink\r\n";
    } else if (verb == "mail") {
      mail = {};
      mail.from = address_of(line);
    } else if (verb == "rcpt") {
      mail.rcpt.push_back(address_of(line));
    } else if (verb == "data") {
      if (!write_all(fd, "354 end data with <CR><LF>.<CR><LF>\r\n")) return;
      std::string data;
      bool ended = false;
      while (in.line(line)) {
        if (line == ".") {
          ended = true;
          break;
        }
        if (!line.empty() && line.front() == '.') line.erase(0, 1);  // dot-unstuffing
        data += line + "\r\n";
      }
      if (!ended) return;
      mail.data = std::move(data);
      {
        std::lock_guard lock(mutex_);
        messages_.push_back(std::move(mail));
      }
      arrived_.notify_all();
      mail = {};
      reply = "250 OK queued\r\n";
    } else if (verb == "quit") {
      write_all(fd, "221 bye\r\n");
      return;
    } else if (verb != "rset" && verb != "noop") {
      reply = "502 command not implemented\r\n";
    }
    if (!write_all(fd, reply)) return;
  }
}

bool SmtpSink::wait_for(std::size_t count, std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, limit, [&] { return messages_.size() >= count; });
}

std::vector<ReceivedMail> SmtpSink::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

}  // namespace shot::testing
