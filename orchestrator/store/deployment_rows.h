// Reading deployment rows (alias `d`), shared by the deployment and schedule
// stores. Store-internal.
#pragma once

#include <pqxx/pqxx>

#include "orchestrator/store/deployment_store.h"

namespace baton::store {

extern const char* const kDeploymentColumns;  // 6 columns, from column 0
DeploymentRecord DeploymentFromRow(const pqxx::row& row);

}  // namespace baton::store
