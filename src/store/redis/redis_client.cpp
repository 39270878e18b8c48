#include "store/redis/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <boost/url/parse.hpp>
#include <charconv>

namespace shot::redis {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

Reply own(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(own(r->element[i]));
      break;
    default:
      out.type = Reply::Type::nil;
  }
  return out;
}

// The server is starting, failing over or out of memory: try again later.
bool transient(std::string_view error) {
  return error.starts_with("LOADING") || error.starts_with("BUSY") ||
         error.starts_with("MASTERDOWN") || error.starts_with("TRYAGAIN") ||
         error.starts_with("READONLY") || error.starts_with("OOM");
}

Error reply_error(std::string_view error) {
  return Error{transient(error) ? Errc::unavailable : Errc::internal,
               "redis: " + std::string(error)};
}

timeval to_timeval(Millis m) {
  return timeval{static_cast<time_t>(m.count() / 1000),
                 static_cast<suseconds_t>((m.count() % 1000) * 1000)};
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  auto bad = [](std::string why) {
    return fail(Errc::invalid_argument, "redis store URL: " + why, "store");
  };
  auto uri = boost::urls::parse_uri(url);
  if (!uri || uri->scheme() != "redis") return bad("expected redis://host[:port][/db]");
  Endpoint e;
  if (uri->host().empty()) return bad("no host");
  e.host = uri->host_address();
  if (uri->has_port()) {
    if (uri->port_number() == 0) return bad("bad port");
    e.port = uri->port_number();
  }
  const std::string decoded = uri->path();  // a string of its own: keep it alive
  std::string_view path = decoded;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), e.db);
    if (ec != std::errc() || end != path.data() + path.size() || e.db < 0)
      return bad("the path must be a database number");
  }
  if (uri->has_userinfo()) {
    e.user = uri->user();
    e.password = uri->password();
  }
  return e;
}

Result<std::unique_ptr<Connection>> Connection::open(const Endpoint& endpoint, Millis timeout) {
  const auto where = endpoint.host + ":" + std::to_string(endpoint.port);
  redisContext* c = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                            to_timeval(std::min(timeout, Millis(2000))));
  if (c == nullptr) return fail(Errc::unavailable, "redis at " + where + ": out of memory");
  std::unique_ptr<Connection> conn(new Connection(c));
  if (c->err) return fail(Errc::unavailable, "redis at " + where + ": " + c->errstr);
  redisSetTimeout(c, to_timeval(timeout));
  redisEnableKeepAlive(c);
  if (!endpoint.password.empty()) {
    Command auth = endpoint.user.empty() ? Command{"AUTH", endpoint.password}
                                         : Command{"AUTH", endpoint.user, endpoint.password};
    auto r = conn->run(auth);
    // Not the server's text: it could echo part of the credentials.
    if (!r) return fail(r.error().code, "redis at " + where + ": authentication failed");
  }
  if (endpoint.db != 0) {
    auto r = conn->run({"SELECT", std::to_string(endpoint.db)});
    if (!r) return fail(r.error().code, "redis at " + where + ": " + r.error().message);
  }
  return conn;
}

Connection::~Connection() {
  redisFree(context_);
}

Error Connection::io_error() {
  broken_ = true;
  return Error{Errc::unavailable,
               std::string("redis: ") + (context_->err ? context_->errstr : "connection lost")};
}

Result<Reply> Connection::run(const Command& command) {
  auto replies = pipeline({command});
  if (!replies) return fail(replies.error());
  auto& r = replies->front();
  if (r.type == Reply::Type::error) return fail(reply_error(r.str));
  return std::move(r);
}

Result<std::vector<Reply>> Connection::pipeline(const std::vector<Command>& commands) {
  if (broken_) return fail(Errc::unavailable, "redis: connection lost");
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& command : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : command) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK)
      return fail(io_error());
  }
  std::vector<Reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return fail(io_error());
    ReplyPtr reply(static_cast<redisReply*>(raw));
    out.push_back(own(reply.get()));
  }
  return out;
}

Result<std::optional<std::vector<Reply>>> Connection::transaction(
    const std::vector<Command>& commands) {
  std::vector<Command> all;
  all.reserve(commands.size() + 2);
  all.push_back({"MULTI"});
  all.insert(all.end(), commands.begin(), commands.end());
  all.push_back({"EXEC"});
  auto replies = pipeline(all);
  if (!replies) return fail(replies.error());
  for (std::size_t i = 0; i + 1 < replies->size(); ++i) {
    if ((*replies)[i].type == Reply::Type::error) {
      // A bad command is refused at queue time and EXEC aborts the rest.
      return fail(reply_error((*replies)[i].str));
    }
  }
  auto& exec = replies->back();
  if (exec.type == Reply::Type::error) return fail(reply_error(exec.str));
  if (exec.is_nil()) return std::optional<std::vector<Reply>>();
  for (auto& r : exec.elements)
    if (r.type == Reply::Type::error) return fail(reply_error(r.str));
  return std::optional<std::vector<Reply>>(std::move(exec.elements));
}

Pool::Pool(Endpoint endpoint, std::size_t size, Millis timeout)
    : endpoint_(std::move(endpoint)), size_(size), timeout_(timeout) {}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (c_) pool_->release(std::move(c_));
}

Result<Pool::Lease> Pool::acquire() {
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, timeout_, [&] { return !idle_.empty() || open_ < size_; }))
      return fail(Errc::unavailable, "redis: no free connection");
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
    ++open_;
  }
  // Connecting happens outside the lock: a slow connect must not hold up the others.
  auto c = Connection::open(endpoint_, timeout_);
  if (!c) {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
    return fail(c.error());
  }
  return Lease(*this, std::move(*c));
}

void Pool::release(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mutex_);
  if (c->broken()) {
    // The server went away (a restart?): the idle ones are as dead. Dropped;
    // the next acquire connects again.
    open_ -= 1 + idle_.size();
    idle_.clear();
  } else {
    idle_.push_back(std::move(c));
  }
  freed_.notify_one();
}

}  // namespace shot::redis
