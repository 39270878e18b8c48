#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

namespace shot::sqlite {

void DbClose::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}
void StmtFinalize::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

Error to_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "job store: " + std::string(what) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Error{Errc::unavailable, std::move(message)};
    case SQLITE_CONSTRAINT:
      return Error{Errc::conflict, std::move(message)};
    default:
      return Error{Errc::internal, std::move(message)};
  }
}

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int i, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away.
  int rc = sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && error_ == 0) error_ = rc;
  return *this;
}

Query& Query::bind(int i, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, i, value);
  if (rc != SQLITE_OK && error_ == 0) error_ = rc;
  return *this;
}

Result<bool> Query::step() {
  if (error_ != 0) return fail(to_error(db_, error_, "bind"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(to_error(db_, rc, "step"));
}

Result<void> Query::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(row.error());
    if (!*row) return {};
  }
}

std::string Query::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::int64_t Query::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbHandle db(raw);  // owns the handle even when open failed
  if (rc != SQLITE_OK) return fail(to_error(db.get(), rc, "open " + path));
  sqlite3_extended_result_codes(db.get(), 1);
  return Db(std::move(db));
}

Result<Query> Db::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtHandle stmt(raw);
    if (rc != SQLITE_OK) return fail(to_error(db_.get(), rc, "prepare"));
    it = statements_.emplace(sql, std::move(stmt)).first;
  }
  return Query(db_.get(), it->second.get());
}

Result<void> Db::exec(const char* sql) {
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(to_error(db_.get(), rc, "exec"));
  return {};
}

int Db::changes() const {
  return sqlite3_changes(db_.get());
}

Result<Transaction> Transaction::begin(Db& db) {
  auto r = db.exec("BEGIN IMMEDIATE");
  if (!r) return fail(r.error());
  return Transaction(&db);
}

Result<Transaction> Transaction::begin_read(Db& db) {
  auto r = db.exec("BEGIN");
  if (!r) return fail(r.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto r = db_->exec("COMMIT");
  if (!r) return r;  // the destructor rolls back
  db_ = nullptr;
  return {};
}

}  // namespace shot::sqlite
