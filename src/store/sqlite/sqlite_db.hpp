#pragma once
// Move-only RAII over the SQLite C API: a connection, cached prepared statements,
// a statement in use (reset when it goes out of scope) and a transaction (rolled
// back unless committed). Internal to the store module.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace shot::sqlite {

struct DbClose {
  void operator()(sqlite3* db) const;
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* stmt) const;
};
using DbHandle = std::unique_ptr<sqlite3, DbClose>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// A statement bound for one use; reset and unbound when destroyed, so a cached
// statement never keeps a read transaction open.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Query(Query&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), error_(other.error_) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query();

  // Parameters are 1-based, as in SQL (?1, ?2, ...).
  Query& bind(int i, std::string_view text);
  Query& bind(int i, std::int64_t value);
  Query& bind(int i, int value) { return bind(i, static_cast<std::int64_t>(value)); }
  Query& bind(int i, bool value) { return bind(i, static_cast<std::int64_t>(value ? 1 : 0)); }

  template <class... Args>
  Query& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Result<void> run();

  std::string text(int col) const;
  std::int64_t int64(int col) const;
  int int32(int col) const { return static_cast<int>(int64(col)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int error_ = 0;  // first bind failure, reported by step()
};

class Db {
 public:
  // Opens or creates the database file; the folder must exist.
  static Result<Db> open(const std::string& path);

  Db(Db&&) noexcept = default;
  Db& operator=(Db&&) noexcept = default;

  // A cached prepared statement for `sql` (a string literal: it is the cache key).
  Result<Query> query(std::string_view sql);
  // Runs one or more statements without parameters.
  Result<void> exec(const char* sql);
  // Rows changed by the last statement.
  int changes() const;

  sqlite3* handle() const { return db_.get(); }

 private:
  explicit Db(DbHandle db) : db_(std::move(db)) {}

  // Statements are finalized before the connection closes (declared after).
  DbHandle db_;
  std::unordered_map<std::string_view, StmtHandle> statements_;
};

// BEGIN IMMEDIATE: takes the write lock up front, so two writers never deadlock
// upgrading a read lock. Rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  // A deferred transaction for consistent reads; it takes no write lock.
  static Result<Transaction> begin_read(Db& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

// Maps an SQLite result code to an Error: busy/locked/I/O → unavailable,
// constraint → conflict, the rest → internal.
Error to_error(sqlite3* db, int rc, std::string_view what);

}  // namespace shot::sqlite
