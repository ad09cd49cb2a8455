// Leadership of one background loop (the timers, the scheduler) among the
// orchestrator replicas that share a database: a lease with a term, in the
// table leader_leases (migration 0006). The leader renews it at every step of
// its loop; when it runs out (database clock) another replica takes it with
// the next term. A leader that stops making progress — frozen, hung, cut off
// while its TCP connection stays up — loses the lead within term_length
// (plus idle_in_transaction_timeout if it froze inside a transaction), and
// plus one tick of the follower's loop.
//
// The term is also a fence. pool() is a pool on connections of its own whose
// every transaction first checks, inside that transaction, that this replica
// still holds its term and that the lease has not run out, and keeps a share
// lock on the lease row until it ends: a takeover waits for it. Otherwise it
// is refused with FAILED_PRECONDITION and changes nothing. So nothing a
// replica writes through pool() commits unless it led, within its term,
// while writing; a late write of a leader that was frozen is refused.
//
// Which replica leads is logged on each change, visible in leader_leases
// (holder, term, expires_at, acquired_at), and its connection's
// application_name is "baton <loop> <replica>" in pg_stat_activity.
//
// Not thread-safe: Lead() and the stores on pool() are meant for the one
// thread of the loop it leads; leading() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/backoff.h"
#include "orchestrator/engine/leader_rules.h"

namespace baton::store {

class PgPool;

// The loops' names, as rows of leader_leases.
inline constexpr char kTimersLoop[] = "timers";
inline constexpr char kSchedulerLoop[] = "scheduler";

struct LeadershipOptions {
  std::string url;      // the orchestrator's database
  std::string loop;     // kTimersLoop, kSchedulerLoop
  std::string replica;  // this replica, as logs and leader_leases show it
  // Between failed attempts to reach the database.
  BackoffPolicy reconnect{absl::Milliseconds(500), 2.0, absl::Seconds(5), 0.2};
  // How long a lead lasts without a renewal.
  absl::Duration term_length = absl::Seconds(10);
  // Bounds every statement of the leader, and a transaction left open by a
  // leader that froze inside it (the server ends it, and its lock on the lease).
  absl::Duration statement_timeout = absl::Seconds(5);
  absl::Duration idle_in_transaction_timeout = absl::Seconds(5);
  // A longer gap between two steps this replica led means it may have been
  // cut off: the takeover runs again (engine::MustTakeOver).
  absl::Duration max_gap = absl::Seconds(3);
};

class Leadership {
 public:
  // Opens the leader's connection. UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<Leadership>> Open(LeadershipOptions options);
  ~Leadership();  // gives the lead up (lets it run out at once) when it can

  // Call before each step of the loop. True while this replica leads: it
  // holds (renewing it) or took the lease, and its takeover ran when
  // engine::MustTakeOver said so. False for a follower, and while the
  // database cannot be reached (then it stops leading at once and retries
  // with backoff, not on every call). Each change is logged once.
  bool Lead();

  bool leading() const { return leading_.load(); }

  // Runs (usually through stores on pool()) each time this replica takes the
  // lead, and again after a restart of the database or a gap in its steps
  // (engine::MustTakeOver), before Lead() returns true; an error means "not
  // leading yet" and is retried at the next Lead(). The timers grant fresh
  // leases here (the outage rule). Set before the loop starts.
  void set_on_takeover(std::function<absl::Status()> fn) { on_takeover_ = std::move(fn); }

  // The fenced pool (see above).
  PgPool& pool() { return *pool_; }

 private:
  explicit Leadership(LeadershipOptions options);
  absl::StatusOr<std::optional<engine::LeadTick>> Renew();
  void StopLeading(const std::string& why);

  const LeadershipOptions options_;
  std::unique_ptr<PgPool> pool_;
  std::function<absl::Status()> on_takeover_;
  std::atomic<bool> leading_{false};
  std::atomic<int64_t> term_{0};              // the term the fence checks; 0: none
  std::optional<engine::LeadTick> last_led_;  // the last step this replica led
  int failures_ = 0;                          // consecutive failures to reach the database
  absl::Time retry_at_ = absl::InfinitePast();
};

}  // namespace baton::store
