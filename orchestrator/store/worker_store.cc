#include "orchestrator/store/worker_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/uuid.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/worker.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/served_routes.h"

namespace baton::store {
namespace {

namespace sql = queries::worker;

constexpr const char* kStopWorker =
    "UPDATE workers SET stopped_at = now() WHERE id = $1::uuid AND stopped_at IS NULL";

WorkerRecord WorkerFromRow(const pqxx::row& row) {
  WorkerRecord w;
  w.id = row["id"].as<std::string>();
  w.name = row["name"].as<std::string>();
  w.queues = ParsePgTextArray(row["queues"]);
  w.labels = nlohmann::json::parse(row["labels"].as<std::string>())
                 .get<std::map<std::string, std::string>>();
  w.handlers = ParsePgTextArray(row["handlers"]);
  w.slots = row["slots"].as<int32_t>();
  w.version = row["version"].as<std::string>();
  w.registered_at = TimeFromMicros(row["registered_at_us"]);
  w.last_seen_at = TimeFromMicros(row["last_seen_at_us"]);
  w.stopped_at = TimeFromMicros(row["stopped_at_us"]);
  return w;
}

absl::Status UnknownWorker(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("worker ", id, " is not registered (or has stopped)"));
}

}  // namespace

absl::StatusOr<WorkerRecord> WorkerStore::RegisterWorker(const WorkerRecord& worker) {
  const nlohmann::json labels = worker.labels;
  return pool_.TransactFor<WorkerRecord>([&](pqxx::work& tx) -> absl::StatusOr<WorkerRecord> {
    return WorkerFromRow(
        tx.exec_params1(sql::kInsertWorker, worker.name, PgTextArray(worker.queues), labels.dump(),
                        PgTextArray(worker.handlers), worker.slots, worker.version));
  });
}

absl::StatusOr<WorkerRecord> WorkerStore::TouchWorker(const std::string& id) {
  if (!IsUuid(id)) return UnknownWorker(id);
  return pool_.TransactFor<WorkerRecord>([&](pqxx::work& tx) -> absl::StatusOr<WorkerRecord> {
    pqxx::result rows = tx.exec_params(sql::kTouchWorker, id);
    if (rows.empty()) return UnknownWorker(id);
    return WorkerFromRow(rows[0]);
  });
}

absl::Status WorkerStore::DeregisterWorker(const std::string& id) {
  if (!IsUuid(id)) return UnknownWorker(id);
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_params(kStopWorker, id).affected_rows() == 0) return UnknownWorker(id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<WorkerRecord>> WorkerStore::ListWorkers(absl::Duration liveness,
                                                                   bool include_stopped) {
  using Workers = std::vector<WorkerRecord>;
  return pool_.TransactFor<Workers>([&](pqxx::work& tx) -> absl::StatusOr<Workers> {
    Workers workers;
    for (const auto& row :
         tx.exec_params(sql::kListWorkers, absl::ToInt64Milliseconds(liveness), include_stopped)) {
      WorkerRecord w = WorkerFromRow(row);
      w.online = row["online"].as<bool>();
      w.running_attempts = row["running_attempts"].as<int32_t>();
      workers.push_back(std::move(w));
    }
    return workers;
  });
}

engine::ServedRoutes ReadServedRoutes(pqxx::work& tx, absl::Duration liveness) {
  engine::ServedRoutes routes;
  for (const auto& row : tx.exec_params(sql::kServedRoutes, absl::ToInt64Milliseconds(liveness))) {
    routes.emplace(row["queue"].as<std::string>(), row["handler"].as<std::string>());
  }
  return routes;
}

absl::StatusOr<engine::ServedRoutes> WorkerStore::ServedRoutes(absl::Duration liveness) {
  return pool_.TransactFor<engine::ServedRoutes>(
      [&](pqxx::work& tx) -> absl::StatusOr<engine::ServedRoutes> {
        return ReadServedRoutes(tx, liveness);
      });
}

}  // namespace baton::store
