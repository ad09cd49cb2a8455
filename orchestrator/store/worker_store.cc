#include "orchestrator/store/worker_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/uuid.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/served_routes.h"

namespace baton::store {
namespace {

constexpr const char* kWorkerColumns =
    "w.id::text, w.name, w.queues, w.labels::text, w.handlers, w.slots, w.version,"
    " baton_us(w.registered_at), baton_us(w.last_seen_at), baton_us(w.stopped_at)";

const std::string kInsertWorker = absl::StrCat(
    "INSERT INTO workers AS w (name, queues, labels, handlers, slots, version)"
    " VALUES ($1, $2::text[], $3::jsonb, $4::text[], $5, $6) RETURNING ",
    kWorkerColumns);

const std::string kTouchWorker = absl::StrCat(
    "UPDATE workers w SET last_seen_at = now() WHERE w.id = $1::uuid AND w.stopped_at IS NULL"
    " RETURNING ",
    kWorkerColumns);

constexpr const char* kStopWorker =
    "UPDATE workers SET stopped_at = now() WHERE id = $1::uuid AND stopped_at IS NULL";

const std::string kListWorkers = absl::StrCat(
    "SELECT ", kWorkerColumns,
    ", w.stopped_at IS NULL AND"
    "   w.last_seen_at > now() - $1 * interval '1 millisecond',"
    " (SELECT count(*) FROM task_runs t WHERE t.worker_id = w.id AND t.state = 'RUNNING')"
    " FROM workers w WHERE $2 OR w.stopped_at IS NULL ORDER BY w.registered_at DESC LIMIT 1000");

constexpr const char* kServedRoutes =
    "SELECT DISTINCT q, h FROM workers w, unnest(w.queues) q, unnest(w.handlers) h"
    " WHERE w.stopped_at IS NULL AND w.last_seen_at > now() - $1 * interval '1 millisecond'";

WorkerRecord WorkerFromRow(const pqxx::row& row) {
  WorkerRecord w;
  w.id = row[0].as<std::string>();
  w.name = row[1].as<std::string>();
  w.queues = ParsePgTextArray(row[2]);
  w.labels =
      nlohmann::json::parse(row[3].as<std::string>()).get<std::map<std::string, std::string>>();
  w.handlers = ParsePgTextArray(row[4]);
  w.slots = row[5].as<int32_t>();
  w.version = row[6].as<std::string>();
  w.registered_at = TimeFromMicros(row[7]);
  w.last_seen_at = TimeFromMicros(row[8]);
  w.stopped_at = TimeFromMicros(row[9]);
  return w;
}

absl::Status UnknownWorker(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("worker ", id, " is not registered (or has stopped)"));
}

}  // namespace

absl::StatusOr<WorkerRecord> WorkerStore::RegisterWorker(const WorkerRecord& worker) {
  const nlohmann::json labels = worker.labels;
  return pool_.TransactFor<WorkerRecord>([&](pqxx::work& tx) -> absl::StatusOr<WorkerRecord> {
    return WorkerFromRow(tx.exec_params1(kInsertWorker, worker.name, PgTextArray(worker.queues),
                                         labels.dump(), PgTextArray(worker.handlers), worker.slots,
                                         worker.version));
  });
}

absl::StatusOr<WorkerRecord> WorkerStore::TouchWorker(const std::string& id) {
  if (!IsUuid(id)) return UnknownWorker(id);
  return pool_.TransactFor<WorkerRecord>([&](pqxx::work& tx) -> absl::StatusOr<WorkerRecord> {
    pqxx::result rows = tx.exec_params(kTouchWorker, id);
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
         tx.exec_params(kListWorkers, absl::ToInt64Milliseconds(liveness), include_stopped)) {
      WorkerRecord w = WorkerFromRow(row);
      w.online = row[10].as<bool>();
      w.running_attempts = row[11].as<int32_t>();
      workers.push_back(std::move(w));
    }
    return workers;
  });
}

engine::ServedRoutes ReadServedRoutes(pqxx::work& tx, absl::Duration liveness) {
  engine::ServedRoutes routes;
  for (const auto& row : tx.exec_params(kServedRoutes, absl::ToInt64Milliseconds(liveness))) {
    routes.emplace(row[0].as<std::string>(), row[1].as<std::string>());
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
