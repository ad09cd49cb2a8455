#include "orchestrator/store/breaker_ops.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/breaker.h"

namespace baton::store {

namespace {

namespace sql = queries::breaker;

}  // namespace

engine::Breaker BreakerFromRow(const pqxx::row& row) {
  engine::Breaker b;
  b.state = engine::ParseBreakerState(row["state"].as<std::string>()).value();
  b.failures = row["failures"].as<int>();
  b.window_start = TimeFromMicros(row["window_start_us"]);
  b.open_until = TimeFromMicros(row["open_until_us"]);
  b.probe_task_run_id = row["probe_task_run_id"].as<int64_t>();
  return b;
}

namespace {

std::optional<int64_t> Micros(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return std::nullopt;
  return absl::ToUnixMicros(t);
}

void Save(pqxx::work& tx, const std::string& key, const engine::Breaker& b) {
  tx.exec_params(sql::kSaveBreaker, key, std::string(engine::Name(b.state)), b.failures,
                 Micros(b.window_start), Micros(b.open_until), b.probe_task_run_id);
}

}  // namespace

Transition BreakerTransition(const std::string& run_id, int64_t task_run_id, const std::string& key,
                             engine::BreakerState from, engine::BreakerState to,
                             std::string reason) {
  return {"breaker",
          run_id,
          task_run_id,
          0,
          std::string(engine::Name(from)),
          std::string(engine::Name(to)),
          false,
          std::move(reason),
          key};
}

void UpsertRunBreakers(pqxx::work& tx, const std::string& run_id) {
  tx.exec_params(sql::kUpsertRunBreakers, run_id);
}

void RecordBreakerOutcome(pqxx::work& tx, const TaskRow& task, bool success,
                          std::vector<Transition>& history) {
  const CircuitBreakerSpec& spec = *task.breaker;
  pqxx::result rows = tx.exec_params(sql::kLockBreaker, spec.key);
  if (rows.empty()) return;  // reset and deleted meanwhile: nothing to count
  const engine::Breaker before = BreakerFromRow(rows[0]);
  const engine::BreakerChange change =
      success ? engine::OnAttemptSucceeded(before, task.id, task.now)
              : engine::OnAttemptFailed(before, spec, task.id, task.now);
  Save(tx, spec.key, change.next);
  if (change.transitioned) {
    history.push_back(BreakerTransition(task.run_id, task.id, spec.key, before.state,
                                        change.next.state, change.reason));
  }
}

std::vector<ProbeSlot> LockProbeSlots(pqxx::work& tx) {
  std::vector<ProbeSlot> slots;
  for (const auto& row : tx.exec(sql::kLockProbeSlots)) {
    slots.push_back({row["key"].as<std::string>(), BreakerFromRow(row)});
  }
  return slots;
}

void StartProbe(pqxx::work& tx, const ProbeSlot& slot, int64_t task_run_id,
                const std::string& run_id, std::vector<Transition>& history) {
  engine::Breaker next = slot.breaker;
  next.state = engine::BreakerState::kHalfOpen;
  next.probe_task_run_id = task_run_id;
  Save(tx, slot.key, next);
  history.push_back(BreakerTransition(
      run_id, task_run_id, slot.key, slot.breaker.state, engine::BreakerState::kHalfOpen,
      absl::StrCat("cooldown over; task run ", task_run_id, " is the probe")));
}

}  // namespace baton::store
