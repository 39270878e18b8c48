#pragma once
// A small blocking Redis client on hiredis: owned replies, MULTI/EXEC
// transactions, and a bounded pool of connections that reconnects after the
// server went away (a restart with AOF keeps the data; the sockets die).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.hpp"
#include "core/error.hpp"

struct redisContext;

namespace shot::redis {

// redis://[[user]:password@]host[:port][/db]
struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;
  std::string password;
};
Result<Endpoint> parse_endpoint(std::string_view url);

struct Reply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string str;  // string, status and error
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
};

using Command = std::vector<std::string>;

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint, Millis timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // An error reply is an Error (internal; unavailable for LOADING and the like).
  // A broken socket is unavailable and marks the connection broken.
  Result<Reply> run(const Command& command);
  // Sends all, then reads all replies (error replies are returned, not failed).
  Result<std::vector<Reply>> pipeline(const std::vector<Command>& commands);
  // MULTI, the commands, EXEC in one round trip: the EXEC results, or nullopt
  // when a WATCHed key changed and nothing ran.
  Result<std::optional<std::vector<Reply>>> transaction(const std::vector<Command>& commands);

  bool broken() const { return broken_; }

 private:
  explicit Connection(redisContext* context) : context_(context) {}
  Error io_error();
  redisContext* context_;
  bool broken_ = false;
};

// At most `size` connections; a broken one is dropped and replaced on demand.
class Pool {
 public:
  Pool(Endpoint endpoint, std::size_t size, Millis timeout);
  ~Pool();

  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> c) : pool_(&pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  // A connection within the timeout, or unavailable.
  Result<Lease> acquire();

 private:
  void release(std::unique_ptr<Connection> c);
  Endpoint endpoint_;
  std::size_t size_;
  Millis timeout_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + leased
};

}  // namespace shot::redis
