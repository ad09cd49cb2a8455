// A bounded pool of PostgreSQL connections and the one place where libpqxx
// exceptions become absl::Status. Only store/ includes this header.
//
// Thread-safe. Each connection runs at most one transaction at a time.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::store {

struct PgPoolOptions {
  std::string url;                                     // libpq connection string or URI
  int size = 8;                                        // connections
  absl::Duration acquire_timeout = absl::Seconds(5);   // waiting for a free connection
  absl::Duration statement_timeout = absl::Seconds(10);
  absl::Duration lock_timeout = absl::Seconds(5);
  std::string extra_settings;                          // more "-c name=value" session settings
  // More libpq connection parameters (application_name, keepalives_idle, ...).
  std::map<std::string, std::string> parameters;
  // Runs first in every transaction of Transact(); a status other than OK
  // rolls the transaction back and is returned (the leadership fence).
  std::function<absl::Status(pqxx::work&)> fence;
};

class PgPool {
 public:
  // Opens every connection. UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<PgPool>> Open(const PgPoolOptions& options);

  // Runs `fn` in one transaction, committing when it returns OK and rolling
  // back otherwise. libpqxx exceptions are mapped by SQLSTATE: unique
  // violation -> ALREADY_EXISTS, serialization failure or deadlock -> ABORTED,
  // broken connection -> UNAVAILABLE, statement/lock timeout -> DEADLINE_EXCEEDED,
  // anything else -> INTERNAL. A pool with no free connection within
  // acquire_timeout -> UNAVAILABLE.
  absl::Status Transact(const std::function<absl::Status(pqxx::work&)>& fn);

  // Transact() without options.fence: for the code that establishes the fence.
  absl::Status TransactUnfenced(const std::function<absl::Status(pqxx::work&)>& fn);

  template <typename T>
  absl::StatusOr<T> TransactFor(const std::function<absl::StatusOr<T>(pqxx::work&)>& fn) {
    absl::StatusOr<T> out = absl::InternalError("transaction did not run");
    absl::Status status = Transact([&](pqxx::work& tx) {
      out = fn(tx);
      return out.status();
    });
    if (!status.ok()) return status;
    return out;
  }

  // Runs a trivial query (SELECT 1) in a transaction: OK when the database
  // answers. Waits at most acquire_timeout for a connection; the query is
  // bounded by statement_timeout. Errors as for Transact (UNAVAILABLE when the
  // server is down or the pool is exhausted). A peer that vanishes without
  // closing its connections is bounded only by the operating system's TCP timeouts.
  absl::Status Ping();

  const PgPoolOptions& options() const { return options_; }

 private:
  explicit PgPool(PgPoolOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn);
  absl::Status Run(const std::function<absl::Status(pqxx::work&)>& fn, bool fenced);

  const PgPoolOptions options_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

// The connection string with the session settings Baton relies on
// (statement_timeout, lock_timeout, idle-in-transaction timeout, UTC), so that
// they survive libpqxx's silent reconnects.
std::string WithSessionOptions(const PgPoolOptions& options);

// Maps a libpqxx / std exception to a Status (see PgPool::Transact).
absl::Status StatusFromException(const std::exception& e);

// Array literals for parameters ('{...}'), elements quoted and escaped.
std::string PgTextArray(const std::vector<std::string>& values);
template <typename Int>
std::string PgIntArray(const std::vector<Int>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}
// Parses a text[] column value ("{a,b}") written by PostgreSQL.
std::vector<std::string> ParsePgTextArray(const pqxx::field& field);

// Timestamps: columns are read as epoch microseconds (use EpochMicros() in SQL).
absl::Time TimeFromMicros(const pqxx::field& field);  // InfinitePast() for NULL

}  // namespace baton::store
