#include "orchestrator/store/leadership.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/leadership.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

namespace sql = queries::leadership;

// Lets the lease run out now, so that another replica need not wait for it.
constexpr const char* kGiveUp =
    "UPDATE leader_leases SET expires_at = now() WHERE loop = $1 AND holder = $2 AND term = $3";

}  // namespace

Leadership::Leadership(LeadershipOptions options) : options_(std::move(options)) {}

Leadership::~Leadership() {
  const int64_t term = term_.load();
  if (term == 0 || !pool_) return;
  absl::Status s = pool_->TransactUnfenced([&](pqxx::work& tx) {
    tx.exec_params(kGiveUp, options_.loop, options_.replica, term);
    return absl::OkStatus();
  });
  if (!s.ok()) spdlog::warn("leadership: giving up the {}: {}", options_.loop, s.ToString());
}

absl::StatusOr<std::unique_ptr<Leadership>> Leadership::Open(LeadershipOptions options) {
  std::unique_ptr<Leadership> leadership(new Leadership(std::move(options)));
  const LeadershipOptions& o = leadership->options_;
  PgPoolOptions pool;
  pool.url = o.url;
  pool.size = 1;
  pool.statement_timeout = o.statement_timeout;
  pool.lock_timeout = o.statement_timeout;
  pool.idle_in_transaction_timeout = o.idle_in_transaction_timeout;
  pool.parameters = {{"application_name", absl::StrCat("baton ", o.loop, " ", o.replica)}};
  Leadership* self = leadership.get();
  const std::string refusal =
      absl::StrCat("replica ", o.replica, " does not hold the ", o.loop, " leadership; not acting");
  pool.fence = [self, refusal](pqxx::work& tx) {
    const pqxx::result held = tx.exec_params(sql::kHoldsTerm, self->options_.loop,
                                             self->options_.replica, self->term_.load());
    return held.empty() ? absl::FailedPreconditionError(refusal) : absl::OkStatus();
  };
  auto opened = PgPool::Open(pool);
  if (!opened.ok()) return opened.status();
  leadership->pool_ = *std::move(opened);
  return leadership;
}

absl::StatusOr<std::optional<engine::LeadTick>> Leadership::Renew() {
  std::optional<engine::LeadTick> tick;
  absl::Status status = pool_->TransactUnfenced([&](pqxx::work& tx) {
    const pqxx::result rows = tx.exec_params(sql::kRenewOrTake, options_.loop, options_.replica,
                                             absl::ToInt64Milliseconds(options_.term_length));
    if (!rows.empty()) {
      tick = engine::LeadTick{rows[0]["term"].as<int64_t>(),
                              TimeFromMicros(rows[0]["server_started_us"]), absl::Now()};
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return tick;
}

void Leadership::StopLeading(const std::string& why) {
  if (leading_.exchange(false)) {
    spdlog::warn("leadership: replica {} stops leading the {}: {}", options_.replica, options_.loop,
                 why);
  }
  last_led_.reset();
}

bool Leadership::Lead() {
  const absl::Time now = absl::Now();
  if (now < retry_at_) return false;
  absl::StatusOr<std::optional<engine::LeadTick>> tick = Renew();
  if (!tick.ok()) {
    StopLeading(tick.status().ToString());
    retry_at_ = now + BackoffDelay(options_.reconnect, ++failures_, UnitRandom());
    return false;
  }
  failures_ = 0;
  retry_at_ = absl::InfinitePast();
  if (!tick->has_value()) {
    term_ = 0;
    StopLeading("another replica holds the lead");
    return false;
  }
  const engine::LeadTick& current = **tick;
  term_ = current.term;
  if (engine::MustTakeOver(last_led_, current, options_.max_gap)) {
    if (on_takeover_) {
      if (absl::Status s = on_takeover_(); !s.ok()) {
        spdlog::warn("leadership: replica {} holds the {} (term {}) but its takeover failed: {}",
                     options_.replica, options_.loop, current.term, s.ToString());
        last_led_.reset();
        return false;
      }
    }
    if (!leading_.exchange(true)) {
      spdlog::info("leadership: replica {} now leads the {} (term {})", options_.replica,
                   options_.loop, current.term);
    }
  }
  last_led_ = current;
  return true;
}

}  // namespace baton::store
