#include "orchestrator/store/leadership.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "orchestrator/store/pg_pool.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

// Whether this session holds lock ($1, $2). Two int4 keys: objsubid 2.
constexpr const char* kHeld =
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    " AND classid = $1::integer::oid AND objid = $2::integer::oid AND objsubid = 2 AND granted)";

// CASE evaluates in order: the lock is taken (once) only when not yet held,
// so the session's lock count stays one.
const std::string kHoldOrTake = absl::StrReplaceAll(
    "SELECT CASE WHEN %HELD% THEN true ELSE pg_try_advisory_lock($1, $2) END", {{"%HELD%", kHeld}});
const std::string kStillHeld = absl::StrCat("SELECT ", kHeld);

std::string Seconds(absl::Duration d) {
  return std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

// Every transaction on the lock's connection first checks the lock.
std::function<absl::Status(pqxx::work&)> Fence(const LeadershipOptions& o) {
  const int32_t key = o.key;
  const std::string refusal = absl::StrCat("replica ", o.replica, " does not hold the ", o.loop,
                                           " leadership lock; not acting");
  return [key, refusal](pqxx::work& tx) {
    if (tx.exec_params1(kStillHeld, kLeadershipLockClass, key)[0].as<bool>()) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(refusal);
  };
}

// One connection, named for pg_stat_activity, fenced. A replica cut off from
// the database must not keep the lock for the operating system's default two
// hours: the server drops its session (and the lock) after a few seconds of
// silence, and the client gives up on a dead server as fast.
PgPoolOptions LockConnection(const LeadershipOptions& o) {
  PgPoolOptions pool;
  pool.url = o.url;
  pool.size = 1;
  pool.statement_timeout = o.statement_timeout;
  pool.lock_timeout = o.statement_timeout;
  pool.acquire_timeout = o.statement_timeout;
  const std::string idle = Seconds(o.statement_timeout);
  const std::string user_timeout =
      std::to_string(absl::ToInt64Milliseconds(o.statement_timeout * 2));
  pool.extra_settings = absl::StrCat("-c tcp_keepalives_idle=", idle,
                                     " -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3",
                                     " -c tcp_user_timeout=", user_timeout);
  pool.parameters = {{"application_name", absl::StrCat("baton ", o.loop, " ", o.replica)},
                     {"keepalives_idle", idle},
                     {"keepalives_interval", "1"},
                     {"keepalives_count", "3"},
                     {"tcp_user_timeout", user_timeout},
                     {"connect_timeout", Seconds(o.statement_timeout)}};
  pool.fence = Fence(o);
  return pool;
}

}  // namespace

Leadership::Leadership(LeadershipOptions options) : options_(std::move(options)) {}

Leadership::~Leadership() = default;

absl::StatusOr<std::unique_ptr<Leadership>> Leadership::Open(LeadershipOptions options) {
  std::unique_ptr<Leadership> leadership(new Leadership(std::move(options)));
  auto opened = PgPool::Open(LockConnection(leadership->options_));
  if (!opened.ok()) return opened.status();
  leadership->pool_ = *std::move(opened);
  return leadership;
}

absl::StatusOr<bool> Leadership::HoldOrTake() {
  bool held = false;
  absl::Status status = pool_->TransactUnfenced([&](pqxx::work& tx) {
    held = tx.exec_params1(kHoldOrTake, kLeadershipLockClass, options_.key)[0].as<bool>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return held;
}

void Leadership::StopLeading(const std::string& why) {
  if (leading_.exchange(false)) {
    spdlog::warn("leadership: replica {} stops leading the {}: {}", options_.replica,
                 options_.loop, why);
  }
  taken_over_ = false;
}

bool Leadership::Lead() {
  const absl::Time now = absl::Now();
  if (now < retry_at_) return false;
  absl::StatusOr<bool> held = HoldOrTake();
  if (!held.ok()) {
    // The session and its lock may be gone: stop at once; when the database
    // answers again the takeover (and its grant) runs again.
    StopLeading(held.status().ToString());
    retry_at_ = now + BackoffDelay(options_.reconnect, ++failures_, UnitRandom());
    return false;
  }
  failures_ = 0;
  retry_at_ = absl::InfinitePast();
  if (!*held) {
    StopLeading("another replica holds the lock");
    return false;
  }
  if (!taken_over_) {
    if (on_takeover_) {
      if (absl::Status s = on_takeover_(); !s.ok()) {
        spdlog::warn("leadership: replica {} holds the {} lock but its takeover failed: {}",
                     options_.replica, options_.loop, s.ToString());
        return false;
      }
    }
    taken_over_ = true;
    leading_ = true;
    spdlog::info("leadership: replica {} now leads the {}", options_.replica, options_.loop);
  }
  return true;
}

}  // namespace baton::store
