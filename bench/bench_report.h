// What baton-bench measured, computed from the runs as the orchestrator
// recorded them, and its two renderings (a table for people, JSON for
// scripts). Pure; thread-compatible.
//
// Task timestamps come from PostgreSQL's now(), i.e. the start of the
// transaction that set them: ready_at (the StartRun transaction, or the
// completion that released the task), started_at (the lease transaction),
// ended_at (the completion transaction). Durations between them therefore use
// one clock, the database's.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "baton/v1/run_service.pb.h"
#include "bench/latency_stats.h"
#include "nlohmann/json.hpp"

namespace baton::bench {

struct BenchConfig {
  std::string address;
  std::string flow;
  std::string handler;
  int tasks = 0;
  int runs = 0;
  int tasks_per_run = 0;
};

struct BenchReport {
  BenchConfig config;
  int runs_ended = 0;       // in a terminal state
  int runs_completed = 0;   // COMPLETED
  int tasks_ended = 0;      // with an ended_at
  int tasks_completed = 0;  // COMPLETED
  int tasks_retried = 0;    // needed more than one attempt
  // Lease transactions that granted attempts (attempts of one worker with the
  // same leased_at were claimed by one statement), and attempts per batch.
  int lease_batches = 0;
  double mean_batch = 0;
  int max_batch = 0;
  double wall_s = 0;              // first ready_at to last ended_at
  double tasks_per_s = 0;         // tasks_completed / wall_s
  double steady_tasks_per_s = 0;  // between 10% and 90% of task ends
  double submit_s = 0;            // client clock: all StartRun calls
  double client_wall_s = 0;       // client clock: first StartRun to all runs seen ended
  LatencySummary ready_to_start;
  LatencySummary start_to_end;
  LatencySummary ready_to_end;
  std::string error;  // set when the benchmark did not finish
};

// Fills the measured fields of `report` from `runs` (fetched with GetRun, so
// with their tasks). Tasks without the timestamps a figure needs are left out
// of that figure.
void Analyze(const std::vector<v1::Run>& runs, BenchReport& report);

void PrintTable(const BenchReport& report, std::ostream& out);
nlohmann::json ToJson(const BenchReport& report);

}  // namespace baton::bench
