// Wake-ups for long polls across orchestrator replicas: the transaction that
// makes tasks ready sends a NOTIFY; every orchestrator LISTENs (ReadyListener)
// and wakes its waiting polls. Store-internal.
#pragma once

#include <pqxx/pqxx>

namespace baton::store {

inline constexpr const char* kReadyChannel = "baton_tasks_ready";

// Queues a NOTIFY, delivered when `tx` commits (and only then).
void NotifyTasksReady(pqxx::work& tx);

}  // namespace baton::store
