#include "orchestrator/store/pg_pool.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

constexpr char kPingQuery[] = "SELECT 1";

std::string Millis(absl::Duration d) { return std::to_string(absl::ToInt64Milliseconds(d)); }

absl::Status FromSqlError(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  const std::string message = absl::StrCat("database: ", what, " (SQLSTATE ", state, ")");
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state == "57014" || state == "55P03") return absl::DeadlineExceededError(message);
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P03") {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace

std::string WithSessionOptions(const PgPoolOptions& o) {
  const std::string opts = absl::StrCat(
      "-c statement_timeout=", Millis(o.statement_timeout), " -c lock_timeout=",
      Millis(o.lock_timeout), " -c idle_in_transaction_session_timeout=",
      Millis(o.statement_timeout * 3), " -c TimeZone=UTC",
      o.extra_settings.empty() ? "" : " ", o.extra_settings);
  const bool uri = o.url.rfind("postgres://", 0) == 0 || o.url.rfind("postgresql://", 0) == 0;
  std::map<std::string, std::string> parameters = o.parameters;
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
  if (dynamic_cast<const pqxx::broken_connection*>(&e) ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return absl::UnavailableError(absl::StrCat("database connection: ", e.what()));
  }
  return absl::InternalError(absl::StrCat("database: ", e.what()));
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Open(const PgPoolOptions& options) {
  std::unique_ptr<PgPool> pool(new PgPool(options));
  const std::string conninfo = WithSessionOptions(options);
  for (int i = 0; i < options.size; ++i) {
    try {
      pool->idle_.push_back(std::make_unique<pqxx::connection>(conninfo));
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("cannot connect to the database: ", e.what()));
    }
  }
  return pool;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!available_.wait_for(lock, absl::ToChronoMilliseconds(options_.acquire_timeout),
                           [this] { return !idle_.empty(); })) {
    return absl::UnavailableError(absl::StrCat(
        "database pool: no free connection within ", absl::FormatDuration(options_.acquire_timeout)));
  }
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  return conn;
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

absl::Status PgPool::Transact(const std::function<absl::Status(pqxx::work&)>& fn) {
  return Run(fn, true);
}

absl::Status PgPool::TransactUnfenced(const std::function<absl::Status(pqxx::work&)>& fn) {
  return Run(fn, false);
}

absl::Status PgPool::Run(const std::function<absl::Status(pqxx::work&)>& fn, bool fenced) {
  auto conn = Acquire();
  if (!conn.ok()) return conn.status();
  absl::Status status;
  try {
    pqxx::work tx(**conn);
    if (fenced && options_.fence) status = options_.fence(tx);
    if (status.ok()) status = fn(tx);
    if (status.ok()) tx.commit();
  } catch (const std::exception& e) {
    status = StatusFromException(e);
  }
  Release(*std::move(conn));
  return status;
}

absl::Status PgPool::Ping() {
  return Transact([](pqxx::work& tx) {
    tx.exec1(kPingQuery);
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
