#include "orchestrator/store/pg_pool.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/base/request_deadline.h"

namespace baton::store {
namespace {

// Reads, in a transaction, whether it could write.
constexpr char kPingQuery[] =
    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean"
    " AS read_only";

std::string Millis(absl::Duration d) { return std::to_string(absl::ToInt64Milliseconds(d)); }
std::string WholeSeconds(absl::Duration d) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

bool IsUnavailableState(const std::string& state) {
  return state.rfind("08", 0) == 0 || state.rfind("25", 0) == 0 || state == "57P01" ||
         state == "57P02" || state == "57P03" || state == "53300";
}

absl::Status FromSqlError(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  if (state == "25006") {
    return absl::UnavailableError(
        absl::StrCat("database is read-only: ", what, " (SQLSTATE ", state, ")"));
  }
  const std::string message = absl::StrCat("database: ", what, " (SQLSTATE ", state, ")");
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state == "57014" || state == "55P03") return absl::DeadlineExceededError(message);
  if (IsUnavailableState(state)) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// Both ends of every connection give up on a silent peer within `tcp`.
std::string TcpSettings(absl::Duration tcp) {
  const std::string idle = WholeSeconds(tcp / 3);
  return absl::StrCat(" -c tcp_keepalives_idle=", idle,
                      " -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3",
                      " -c tcp_user_timeout=", Millis(tcp));
}

std::map<std::string, std::string> ConnectionParameters(const PgPoolOptions& o) {
  std::map<std::string, std::string> p = {{"keepalives", "1"},
                                          {"keepalives_idle", WholeSeconds(o.tcp_timeout / 3)},
                                          {"keepalives_interval", "1"},
                                          {"keepalives_count", "3"},
                                          {"tcp_user_timeout", Millis(o.tcp_timeout)},
                                          {"connect_timeout", WholeSeconds(o.connect_timeout)}};
  if (o.url.find("target_session_attrs") == std::string::npos) {
    p["target_session_attrs"] = "read-write";
  }
  for (const auto& [name, value] : o.parameters) p[name] = value;
  return p;
}

std::string DeadlineMessage(bool committing) {
  return committing ? "the commit is in doubt: it may or may not have been applied"
                    : "rolled back, nothing was changed";
}

}  // namespace

std::string WithSessionOptions(const PgPoolOptions& o) {
  const std::string opts = absl::StrCat(
      "-c statement_timeout=", Millis(o.statement_timeout),
      " -c lock_timeout=", Millis(o.lock_timeout), " -c idle_in_transaction_session_timeout=",
      Millis(o.idle_in_transaction_timeout > absl::ZeroDuration() ? o.idle_in_transaction_timeout
                                                                  : o.statement_timeout * 3),
      " -c TimeZone=UTC", TcpSettings(o.tcp_timeout), o.extra_settings.empty() ? "" : " ",
      o.extra_settings);
  const bool uri = o.url.rfind("postgres://", 0) == 0 || o.url.rfind("postgresql://", 0) == 0;
  std::map<std::string, std::string> parameters = ConnectionParameters(o);
  parameters["options"] = opts;
  std::string out = o.url;
  for (const auto& [name, value] : parameters) {
    if (uri) {
      const std::string encoded =
          absl::StrReplaceAll(value, {{"%", "%25"}, {" ", "%20"}, {"=", "%3D"}, {"&", "%26"}});
      absl::StrAppend(&out, out.find('?') == std::string::npos ? "?" : "&", name, "=", encoded);
    } else {
      absl::StrAppend(&out, " ", name, "='", absl::StrReplaceAll(value, {{"'", "\\'"}}), "'");
    }
  }
  return out;
}

absl::Status StatusFromException(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) return FromSqlError(*sql);
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return absl::UnavailableError(absl::StrCat("database connection broke during commit; ",
                                               DeadlineMessage(true), ": ", e.what()));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) {
    return absl::UnavailableError(absl::StrCat("database connection: ", e.what()));
  }
  return absl::InternalError(absl::StrCat("database: ", e.what()));
}

PgPool::PgPool(PgPoolOptions options)
    : options_(std::move(options)), conninfo_(WithSessionOptions(options_)) {}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Open(const PgPoolOptions& options) {
  std::unique_ptr<PgPool> pool(new PgPool(options));
  for (int i = 0; i < options.size; ++i) {
    auto conn = pool->Connect();
    if (!conn.ok()) return conn.status();
    pool->idle_.push_back(*std::move(conn));
    ++pool->open_;
  }
  return pool;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Connect() const {
  try {
    return std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    return absl::UnavailableError(absl::StrCat("database: cannot connect: ", what));
  }
}

PgPool::~PgPool() {
  std::unique_lock<std::mutex> lock(mu_);
  connected_.wait(lock, [this] { return connecting_ == 0; });
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::ConnectBy(absl::Time until) {
  using Connection = absl::StatusOr<std::unique_ptr<pqxx::connection>>;
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Connection> conn;  // set when made, unless abandoned
    bool abandoned = false;
  };
  auto pending = std::make_shared<Pending>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++connecting_;
  }
  std::thread([this, pending] {
    Connection conn = Connect();
    bool abandoned = false;
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      abandoned = pending->abandoned;
      if (!abandoned) pending->conn = std::move(conn);
    }
    pending->cv.notify_all();
    if (abandoned) Release(conn.ok() ? *std::move(conn) : nullptr, conn.ok());
    {
      std::lock_guard<std::mutex> lock(mu_);
      --connecting_;
    }
    connected_.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(pending->mu);
  const absl::Duration wait = std::max(until - absl::Now(), absl::ZeroDuration());
  if (!pending->cv.wait_for(lock, absl::ToChronoMilliseconds(wait),
                            [&] { return pending->conn.has_value(); })) {
    pending->abandoned = true;
    return absl::UnavailableError(
        absl::StrCat("database: cannot connect within ", absl::FormatDuration(wait),
                     " (the attempt goes on; its connection will join the pool)"));
  }
  Connection conn = *std::move(pending->conn);
  lock.unlock();
  if (!conn.ok()) Release(nullptr, false);
  return conn;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Acquire(absl::Time until) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    const auto ready = [this] { return !idle_.empty() || open_ < options_.size; };
    const absl::Duration wait = std::min(options_.acquire_timeout, until - absl::Now());
    if (!available_.wait_for(lock, absl::ToChronoMilliseconds(std::max(wait, absl::ZeroDuration())),
                             ready)) {
      return absl::UnavailableError(
          absl::StrCat("database pool: no free connection within ", absl::FormatDuration(wait)));
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;  // a slot for the connection made below, outside the lock
  }
  return ConnectBy(until);  // which gives the slot back if it fails
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool keep) {
  std::vector<std::unique_ptr<pqxx::connection>> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keep && conn) {
      idle_.push_back(std::move(conn));
    } else {
      // A connection failure usually means every idle one is stale too (the
      // server restarted): they are replaced on demand.
      stale.swap(idle_);
      open_ -= 1 + static_cast<int>(stale.size());
    }
  }
  available_.notify_all();
  // `stale` and `conn` close here, outside the lock.
}

absl::Status PgPool::Transact(const std::function<absl::Status(pqxx::work&)>& fn) {
  return Run(fn, true);
}

absl::Status PgPool::TransactUnfenced(const std::function<absl::Status(pqxx::work&)>& fn) {
  return Run(fn, false);
}

absl::Status PgPool::Run(const std::function<absl::Status(pqxx::work&)>& fn, bool fenced) {
  const absl::Time request_deadline = CurrentRequestDeadline();
  for (int tries = 1;; ++tries) {
    const absl::Time bound = std::min(absl::Now() + options_.transaction_timeout,
                                      request_deadline - options_.request_margin);
    if (absl::Now() >= bound) {
      return absl::DeadlineExceededError(
          "database: the caller's deadline passed before the database was asked; nothing was done");
    }
    auto conn = Acquire(bound);
    if (!conn.ok()) return conn.status();
    Attempt attempt = RunOnce(**conn, fn, fenced, bound, request_deadline);
    Release(*std::move(conn), attempt.connection_ok);
    if (attempt.nothing_ran && tries == 1) continue;  // on a fresh connection
    return attempt.status;
  }
}

PgPool::Attempt PgPool::RunOnce(pqxx::connection& conn,
                                const std::function<absl::Status(pqxx::work&)>& fn, bool fenced,
                                absl::Time bound, absl::Time request_deadline) {
  const absl::Time start = absl::Now();
  const int64_t ticket = watchdog_.Arm(conn.sock(), bound);
  Attempt out;
  bool begun = false;
  bool committing = false;
  try {
    pqxx::work tx(conn);
    begun = true;
    if (fenced && options_.fence) out.status = options_.fence(tx);
    if (out.status.ok()) out.status = fn(tx);
    if (out.status.ok() && absl::Now() >= request_deadline - options_.request_margin) {
      out.status = absl::DeadlineExceededError(absl::StrCat(
          "database: the caller's deadline passed before the commit; ", DeadlineMessage(false)));
    }
    if (out.status.ok()) {
      committing = true;
      tx.commit();
    }
  } catch (const std::exception& e) {
    out.status = StatusFromException(e);
  }
  if (watchdog_.Disarm(ticket)) {
    out.status = absl::UnavailableError(
        absl::StrCat("database: no answer within ", absl::FormatDuration(bound - start),
                     " (the connection was closed); ", DeadlineMessage(committing)));
    out.connection_ok = false;
    return out;
  }
  out.connection_ok = !absl::IsUnavailable(out.status) && conn.is_open();
  out.nothing_ran = !begun && absl::IsUnavailable(out.status);
  return out;
}

absl::Status PgPool::Ping(absl::Duration timeout) {
  ScopedRequestDeadline deadline(absl::Now() + timeout + options_.request_margin);
  return Transact([](pqxx::work& tx) {
    if (tx.exec1(kPingQuery)["read_only"].as<bool>()) {
      return absl::UnavailableError("database is read-only (in recovery or read-only sessions)");
    }
    return absl::OkStatus();
  });
}

std::string PgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += absl::StrReplaceAll(values[i], {{"\\", "\\\\"}, {"\"", "\\\""}});
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> ParsePgTextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  if (field.is_null()) return out;
  auto parser = field.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
  }
  return out;
}

absl::Time TimeFromMicros(const pqxx::field& field) {
  if (field.is_null()) return absl::InfinitePast();
  return absl::FromUnixMicros(field.as<int64_t>());
}

}  // namespace baton::store
