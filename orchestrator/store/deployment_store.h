// Deployments: stored specs, pause/resume, deletion. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/spec/deployment.h"

namespace baton::store {

class PgPool;

struct DeploymentRecord {
  std::string id;
  DeploymentSpec spec;
  bool paused = false;
  absl::Time cursor = absl::InfinitePast();
  absl::Time created_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();
};

class DeploymentStore {
 public:
  explicit DeploymentStore(PgPool& pool) : pool_(pool) {}

  struct Applied {
    DeploymentRecord deployment;
    bool created = false;
  };

  // Creates or replaces the deployment named spec.name. A new deployment's
  // schedule starts now (no catch-up of fires before it existed); a
  // replaced one keeps its cursor, and its scheduled runs that have not
  // started are removed so that they are planned again under the new spec.
  // Its paused flag comes from the spec.
  absl::StatusOr<Applied> ApplyDeployment(const DeploymentSpec& spec);

  absl::StatusOr<DeploymentRecord> GetDeployment(const std::string& name);  // NOT_FOUND
  absl::StatusOr<std::vector<DeploymentRecord>> ListDeployments();

  // Pausing stops scheduling (scheduled runs not yet started are removed);
  // resuming schedules again from now: fires while paused are not run.
  absl::StatusOr<DeploymentRecord> SetPaused(const std::string& name, bool paused);

  // Deletes the deployment and its scheduled runs that have not started;
  // runs that started keep their history. NOT_FOUND when unknown.
  absl::Status DeleteDeployment(const std::string& name);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
