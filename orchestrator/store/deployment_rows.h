// Reading deployment rows, shared by the deployment and schedule
// stores. Store-internal.
#pragma once

#include <pqxx/pqxx>

#include "orchestrator/store/deployment_store.h"

namespace baton::store {

// Reads the columns of queries/deployment/select_deployment.sql, by name.
DeploymentRecord DeploymentFromRow(const pqxx::row& row);

}  // namespace baton::store
