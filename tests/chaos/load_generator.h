// The chaos soak's steady load: about one submit every 1.5 s through the
// CLI, a flow drawn by weight from SoakFlows() with the seed, half of them
// with an idempotency key (retried with the same key until acknowledged, up
// to 4 calls; now and then repeated once more after it was), the others once
// without one. Every submit carries a correlation id of its own, so that the
// database tells which submit made a run even when no answer came back.
// Runs of "chaos-cancel" are cancelled 2 s after they are acknowledged.
//
// Thread-safe: Start and Stop from one thread; Submits from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "tests/chaos/soak_cluster.h"

namespace baton::chaos {

struct Submit {
  int seq = 0;
  std::string flow;
  std::string idempotency_key;  // empty: none
  std::string correlation_id;
  std::vector<std::string> params;         // "k=v" as given to -p
  std::vector<std::string> acked_run_ids;  // one per acknowledged call
  int calls = 0;
  std::string last_error;  // of the last call that failed
  absl::Time submitted_at;
  // chaos-cancel only.
  bool cancel_acked = false;
  std::string cancel_error;
};

// One CLI call of the load, as the client saw it.
struct CallRecord {
  absl::Time start;
  absl::Time end;
  std::string what;   // "run start chaos-dag", "run cancel ID"
  std::string error;  // empty when it succeeded
};

class LoadGenerator {
 public:
  LoadGenerator(const SoakCluster& cluster, uint64_t seed, std::string tag);
  ~LoadGenerator();

  void Start();
  // Stops submitting; returns once the calls in flight are done (each is bounded).
  void Stop();

  std::vector<Submit> Submits() const;
  std::vector<CallRecord> Calls() const;

 private:
  void Run();
  void SubmitOne();
  bool Call(Submit& submit);  // one `run start`; true when acknowledged
  void CancelDue();
  size_t Draw(size_t n);
  // The CLI, recording the call.
  testing::CliResult Cli(const std::string& what, std::vector<std::string> args);

  const SoakCluster& cluster_;
  std::mt19937_64 random_;
  const std::string tag_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Submit> submits_;                         // guarded by mu_
  std::vector<CallRecord> calls_;                       // guarded by mu_
  std::vector<std::pair<absl::Time, size_t>> cancels_;  // due time, submit index; thread only
};

}  // namespace baton::chaos
