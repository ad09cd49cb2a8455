#include "orchestrator/store/history.h"

#include "nlohmann/json.hpp"
#include "orchestrator/store/queries/history.h"

namespace baton::store {
namespace {

namespace sql = queries::history;

}  // namespace

Transition RunTransition(const std::string& run_id, model::FlowRunState from,
                         model::FlowRunState to, std::string reason) {
  return {"run",
          run_id,
          0,
          0,
          std::string(model::Name(from)),
          std::string(model::Name(to)),
          model::IsTerminal(to),
          std::move(reason),
          ""};
}

Transition TaskTransition(const std::string& run_id, int64_t task_run_id, model::TaskRunState from,
                          model::TaskRunState to, std::string reason) {
  return {"task",
          run_id,
          task_run_id,
          0,
          std::string(model::Name(from)),
          std::string(model::Name(to)),
          model::IsTerminal(to),
          std::move(reason),
          ""};
}

Transition AttemptTransition(const std::string& run_id, int64_t task_run_id, int32_t attempt,
                             model::AttemptState to, std::string reason) {
  return {"attempt",
          run_id,
          task_run_id,
          attempt,
          "RUNNING",
          std::string(model::Name(to)),
          model::IsTerminal(to),
          std::move(reason),
          ""};
}

void RecordTransitions(pqxx::work& tx, const std::vector<Transition>& transitions) {
  if (transitions.empty()) return;
  nlohmann::json rows = nlohmann::json::array();
  for (const Transition& t : transitions) {
    rows.push_back({{"entity", t.entity},
                    {"run_id", t.run_id},
                    {"task_run_id", t.task_run_id},
                    {"attempt", t.attempt},
                    {"from_state", t.from_state},
                    {"to_state", t.to_state},
                    {"terminal", t.terminal},
                    {"reason", t.reason},
                    {"breaker_key", t.breaker_key}});
  }
  tx.exec_params(sql::kInsertTransitions, rows.dump());
}

}  // namespace baton::store
