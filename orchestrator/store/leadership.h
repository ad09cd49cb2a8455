// Leadership of one background loop (the timers, the scheduler) among the
// orchestrator replicas that share a database: whoever holds a session-level
// PostgreSQL advisory lock (pg_try_advisory_lock) on a connection of its own
// leads; the others retry each time their loop ticks.
//
// The lock is also a fence. pool() is a one-connection pool on the lock's
// own connection, and every transaction on it first checks, inside that
// transaction, that this session still holds the lock (pg_locks); otherwise
// it is refused with FAILED_PRECONDITION and changes nothing. A session
// lock can only be lost with its session, and a transaction cannot commit
// on a session that is gone, so nothing a replica writes through pool()
// commits unless it led while writing — even after libpqxx silently
// reconnected the connection, or the database restarted.
//
// Which replica leads is logged on each change and visible to operators in
// pg_stat_activity: the lock connection's application_name is
// "baton <loop> <replica>" (join pg_locks on pid, locktype 'advisory',
// classid kLeadershipLockClass, objid the loop's key).
//
// Not thread-safe: Lead() and the stores on pool() are meant for the one
// thread of the loop it leads; leading() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/backoff.h"

namespace baton::store {

class PgPool;

// pg_try_advisory_lock(kLeadershipLockClass, key): one key per loop.
inline constexpr int32_t kLeadershipLockClass = 1652;
inline constexpr int32_t kTimersLockKey = 1;
inline constexpr int32_t kSchedulerLockKey = 2;

struct LeadershipOptions {
  std::string url;      // the orchestrator's database
  std::string loop;     // "timers", "scheduler": names the lock in logs
  int32_t key = 0;      // kTimersLockKey, kSchedulerLockKey
  std::string replica;  // this replica, as logs and pg_stat_activity show it
  // Between failed attempts to reach the database.
  BackoffPolicy reconnect{absl::Milliseconds(500), 2.0, absl::Seconds(5), 0.2};
  // Bounds every statement on the lock connection, and how long the server
  // keeps the session (and so the lock) of a replica it cannot reach.
  absl::Duration statement_timeout = absl::Seconds(5);
};

class Leadership {
 public:
  // Opens the lock connection. UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<Leadership>> Open(LeadershipOptions options);
  ~Leadership();  // closing the connection releases the lock

  // Call before each step of the loop. True while this replica leads: it
  // holds the lock (taking it if free) and its takeover ran. False for a
  // follower, and while the database cannot be reached (then it stops
  // leading at once and retries with backoff, not on every call). Each
  // change is logged once.
  bool Lead();

  bool leading() const { return leading_.load(); }

  // Runs (usually through stores on pool()) once each time this replica
  // takes the lead, before Lead() first returns true; an error means "not
  // leading yet" and is retried at the next Lead(). The timers grant fresh
  // leases here (the outage rule). Set before the loop starts.
  void set_on_takeover(std::function<absl::Status()> fn) { on_takeover_ = std::move(fn); }

  // The fenced pool on the lock's connection (see above).
  PgPool& pool() { return *pool_; }

 private:
  explicit Leadership(LeadershipOptions options);
  absl::StatusOr<bool> HoldOrTake();
  void StopLeading(const std::string& why);

  const LeadershipOptions options_;
  std::unique_ptr<PgPool> pool_;
  std::function<absl::Status()> on_takeover_;
  std::atomic<bool> leading_{false};
  bool taken_over_ = false;  // on_takeover ran since the lock was (re)gained
  int failures_ = 0;         // consecutive failures to reach the database
  absl::Time retry_at_ = absl::InfinitePast();
};

}  // namespace baton::store
