#pragma once
// A private rabbitmq-server for tests: its own node name, AMQP and
// distribution ports on 127.0.0.1, and data, logs and cookie in a temp dir
// owned by the rabbitmq user (the broker refuses to run as root). Start-up
// takes about 5 s, so a test binary shares one (see shared()).

#include <memory>
#include <string>

#include "support/peer_process.hpp"

namespace shot::testing {

class RabbitServer {
 public:
  RabbitServer();
  ~RabbitServer();
  RabbitServer(const RabbitServer&) = delete;
  RabbitServer& operator=(const RabbitServer&) = delete;

  // Ready when the AMQP port answers the protocol header with connection.start.
  bool start() { return process_->start(); }
  PeerProcess& process() { return *process_; }
  int port() const { return process_->port(); }
  std::string url() const;  // amqp://guest:guest@127.0.0.1:P/
  std::string log() const;  // the broker's own log, for failure messages

  // One broker for the whole test binary, started on first use (nullptr and a
  // failed test when it does not come up), stopped at exit.
  static RabbitServer* shared();

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<PeerProcess> process_;
  std::string node_;
};

}  // namespace shot::testing
