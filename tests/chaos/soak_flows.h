// The flows of the chaos soak's load and the outcome each is designed for.
//
// "Designed to complete" flows retry every failure, timeouts and lost leases
// included, up to 40 attempts with delays of at most 2 s, have no flow
// timeout, and stand a fallback in for the tasks designed to fail: no fault
// the soak injects (each holds at most 25 s, one at a time) can spend that
// budget, so they must end COMPLETED, with the result stated below. The other
// flows are designed to end one way for one reason, stated with each.
//
// Tasks of the course's handlers (examples/course_handlers.h) go to the
// queue "example", which only baton-example-worker serves: the orchestrator
// leases by queue, whatever handlers a worker registered.
#pragma once

#include <string>
#include <vector>

namespace baton::chaos {

enum class Design {
  kComplete,         // COMPLETED
  kFailOnTimeout,    // FAILED because task "hang" ran past its timeout (TIMED_OUT)
  kFlowTimeout,      // TIMED_OUT by the flow's own timeout
  kCancelWhenAsked,  // CANCELLED when a cancel was acknowledged; else CANCELLED or COMPLETED
};

struct SoakFlow {
  std::string name;
  std::string yaml;
  Design design = Design::kComplete;
  int weight = 0;  // share of the submits; 0: not submitted by the load (scheduled)
};

// Every flow, in a fixed order (the load draws from it by weight).
const std::vector<SoakFlow>& SoakFlows();
const SoakFlow* FindSoakFlow(const std::string& name);

// A deployment of the scheduled flow ("chaos-tick") firing every minute;
// its skipped fires end CANCELLED with "skipped: overlap policy ..." in the error.
extern const char kSoakDeploymentName[];
extern const char kSoakDeploymentYaml[];

// Given a COMPLETED run's flow, parameters and result (JSON text): empty when
// the result is the one designed, else what is wrong with it.
std::string CheckResult(const std::string& flow, const std::string& parameters_json,
                        const std::string& result_json);

}  // namespace baton::chaos
