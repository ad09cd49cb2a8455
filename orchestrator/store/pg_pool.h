// A bounded pool of PostgreSQL connections and the one place where libpqxx
// exceptions become absl::Status. Only store/ includes this header.
//
// Database faults, and what the pool does about them:
// - Every transaction is bounded from the client side (SocketWatchdog): by
//   transaction_timeout, and by the deadline of the request the calling
//   thread serves (common/base/request_deadline.h) less request_margin, so the
//   caller hears UNAVAILABLE before its own deadline. A server, proxy or link
//   that stops answering without closing the connection cannot hold a call.
// - Work whose caller's deadline passed is neither started nor committed: it
//   is rolled back and DEADLINE_EXCEEDED. Only a COMMIT sent in time whose
//   answer never came is in doubt; the error then says so.
// - Connections are opened with TCP keepalives, tcp_user_timeout and a
//   connect timeout (both ends: the server drops a vanished client's session,
//   and its locks, as fast), and target_session_attrs=read-write, so a
//   read-only server (a standby, default_transaction_read_only) is refused.
// - A connection that broke, timed out or found the database read-only is
//   discarded, with every idle one (after a restart they are all stale), and
//   replaced on demand. A transaction whose BEGIN failed on a broken
//   connection ran nothing and is retried once on a fresh connection.
//
// Thread-safe. Each connection runs at most one transaction at a time.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/store/socket_watchdog.h"

namespace baton::store {

struct PgPoolOptions {
  std::string url;                                    // libpq connection string or URI
  int size = 8;                                       // connections
  absl::Duration acquire_timeout = absl::Seconds(5);  // waiting for a free connection
  absl::Duration statement_timeout = absl::Seconds(10);
  absl::Duration lock_timeout = absl::Seconds(5);
  // The server ends a transaction left idle this long; zero: 3 x statement_timeout.
  absl::Duration idle_in_transaction_timeout = absl::ZeroDuration();
  // The client-side bound of one transaction (see above).
  absl::Duration transaction_timeout = absl::Seconds(12);
  // A transaction ends this long before its caller's request deadline.
  absl::Duration request_margin = absl::Milliseconds(500);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Keepalives and tcp_user_timeout of both ends of every connection.
  absl::Duration tcp_timeout = absl::Seconds(10);
  std::string extra_settings;  // more "-c name=value" session settings
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
  // Waits for connection attempts still under way (each bounded by the
  // connect timeout).
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Runs `fn` in one transaction, committing when it returns OK and rolling
  // back otherwise. libpqxx exceptions are mapped by SQLSTATE: unique
  // violation -> ALREADY_EXISTS, serialization failure or deadlock -> ABORTED,
  // statement/lock timeout -> DEADLINE_EXCEEDED; a broken connection, no
  // answer within the bound, classes 08 (connection) and 25 (a read-only
  // database), shutdowns (57P01-3) and too many connections (53300) ->
  // UNAVAILABLE with a message starting "database"; anything else ->
  // INTERNAL. The caller's deadline passed -> DEADLINE_EXCEEDED, nothing
  // done. A pool with no free connection within acquire_timeout -> UNAVAILABLE.
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

  // OK when the database answers within `timeout` and accepts writes:
  // UNAVAILABLE when it is unreachable, does not answer (half-open), is
  // read-only or in recovery, or the pool is exhausted.
  absl::Status Ping(absl::Duration timeout);

  const PgPoolOptions& options() const { return options_; }

 private:
  struct Attempt {
    absl::Status status;
    bool connection_ok = true;  // keep the connection
    bool nothing_ran = false;   // BEGIN failed on a broken connection
  };

  explicit PgPool(PgPoolOptions options);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect() const;
  // Connect() on a thread of its own, waited for until `until`: libpq's
  // connect timeout (whole seconds, 2 at least) may outlast the caller's
  // deadline, and a caller must be answered within it. Takes the slot
  // Acquire reserved: gives it back when the connection fails, and a
  // connection made after the caller left joins the pool.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectBy(absl::Time until);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire(absl::Time until);
  void Release(std::unique_ptr<pqxx::connection> conn, bool keep);
  absl::Status Run(const std::function<absl::Status(pqxx::work&)>& fn, bool fenced);
  Attempt RunOnce(pqxx::connection& conn, const std::function<absl::Status(pqxx::work&)>& fn,
                  bool fenced, absl::Time bound, absl::Time request_deadline);

  const PgPoolOptions options_;
  const std::string conninfo_;
  SocketWatchdog watchdog_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;                       // connections idle, in use or being made, guarded by mu_
  int connecting_ = 0;                 // ConnectBy threads still running, guarded by mu_
  std::condition_variable connected_;  // connecting_ fell
};

// The connection string with the session settings Baton relies on
// (statement_timeout, lock_timeout, idle-in-transaction timeout, UTC, TCP
// timeouts of both ends), so that they survive libpqxx's silent reconnects.
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
