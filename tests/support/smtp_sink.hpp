#pragma once
// A tiny SMTP server for tests: listens on 127.0.0.1, port 0, accepts every
// message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps it, so a
// test can read what shot mailed. One connection at a time, as a sink needs.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shot::testing {

struct ReceivedMail {
  std::string from;               // MAIL FROM address, without brackets
  std::vector<std::string> rcpt;  // RCPT TO addresses
  std::string data;               // the message, dot-unstuffed, CRLF line ends
};

// One MIME part of a message: its headers (as sent) and its body, decoded from
// base64 when it says so.
struct MimePart {
  std::string headers;
  std::string body;
  std::string header(const std::string& name) const;  // value, case-insensitive name
};

class SmtpSink {
 public:
  SmtpSink();
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // Waits until `count` messages arrived or `limit` passed; true when they did.
  bool wait_for(std::size_t count, std::chrono::milliseconds limit);
  std::vector<ReceivedMail> messages() const;

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<ReceivedMail> messages_;
};

// The parts of a multipart message (the boundary read from its Content-Type).
std::vector<MimePart> mime_parts(const std::string& message);
// A top-level header of a message.
std::string mail_header(const std::string& message, const std::string& name);

}  // namespace shot::testing
