// The chaos soak: a steady mixed load on a cluster of separate hosts (two
// orchestrator replicas sharing one PostgreSQL, four workers, the CLI; see
// soak_cluster.h) while faults drawn from a seed hit it one after the other
// (fault_plan.h); then every fault is healed, the acknowledged runs are
// awaited (bounded) and the database is judged (soak_checks.h).
//
//   BATON_CHAOS_SEED=N      repeat a soak (the seed is printed at the start and on failure)
//   BATON_CHAOS_MINUTES=M   minutes of faults (default 3; fractions allowed)
//   BATON_CHAOS_KEEP=1      keep the process logs even when the soak passes
//
// Needs root, iproute2 and nftables; fails (does not skip) without them.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/chaos/fault_injector.h"
#include "tests/chaos/fault_plan.h"
#include "tests/chaos/health_sampler.h"
#include "tests/chaos/load_generator.h"
#include "tests/chaos/soak_checks.h"
#include "tests/chaos/soak_cluster.h"
#include "tests/chaos/soak_flows.h"

namespace baton::chaos {
namespace {

constexpr absl::Duration kWarmUp = absl::Seconds(10);
constexpr absl::Duration kServingBound = absl::Seconds(60);
constexpr absl::Duration kRunsEndBound = absl::Seconds(180);
constexpr uint64_t kLoadSalt = 0x9E3779B97F4A7C15ULL;
constexpr size_t kRowsPrinted = 20;

struct SoakSettings {
  uint64_t seed = 0;
  absl::Duration faults = absl::Minutes(3);
  bool keep = false;
};

SoakSettings SettingsFromEnvironment() {
  SoakSettings settings;
  const char* seed = std::getenv("BATON_CHAOS_SEED");
  if (seed == nullptr || !absl::SimpleAtoi(seed, &settings.seed)) {
    std::random_device device;
    settings.seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  double minutes = 0;
  const char* text = std::getenv("BATON_CHAOS_MINUTES");
  if (text != nullptr && absl::SimpleAtod(text, &minutes) && minutes > 0 && minutes <= 24 * 60) {
    settings.faults = absl::Seconds(minutes * 60);
  }
  const char* keep = std::getenv("BATON_CHAOS_KEEP");
  settings.keep = keep != nullptr && std::string(keep) == "1";
  return settings;
}

std::string MakeArtifactsDir() {
  std::string pattern = "/tmp/baton-chaos.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

std::string Stamp(absl::Time epoch) {
  return absl::StrCat("[+", absl::ToInt64Milliseconds(absl::Now() - epoch) / 100 / 10.0, "s] ");
}

void Apply(const SoakCluster& cluster, const std::string& kind, const std::string& name,
           const std::string& yaml) {
  const absl::Status applied = cluster.Apply(kind, name, yaml);
  ASSERT_TRUE(applied.ok()) << applied;
}

// Runs by state, and the load's submits so far.
void PrintProgress(const SoakCluster& cluster, const LoadGenerator& load, absl::Time epoch) {
  auto states = cluster.Sql(
      "SELECT coalesce(string_agg(state || ' ' || n, ', ' ORDER BY state), 'none')"
      " FROM (SELECT state, count(*) AS n FROM flow_runs GROUP BY state) s");
  int acked = 0;
  const std::vector<Submit> submits = load.Submits();
  for (const Submit& s : submits) acked += s.acked_run_ids.empty() ? 0 : 1;
  std::cout << Stamp(epoch) << "runs: "
            << (states.ok() ? (*states)[0][0].as<std::string>() : states.status().ToString())
            << "; submits " << submits.size() << " (" << acked << " acknowledged)" << std::endl;
}

// Faults from the plan until `faults` have passed after the warm-up.
void InjectFaults(FaultPlan& plan, FaultInjector& injector, const SoakCluster& cluster,
                  const LoadGenerator& load, absl::Time epoch, absl::Duration faults) {
  const absl::Time end = epoch + kWarmUp + faults;
  absl::SleepFor(kWarmUp);
  PrintProgress(cluster, load, epoch);
  while (true) {
    const Fault fault = plan.Next();
    if (absl::Now() + fault.gap_before >= end) break;
    absl::SleepFor(fault.gap_before);
    injector.Inject(fault);
    PrintProgress(cluster, load, epoch);
  }
}

// Heals everything, then waits (bounded) for both replicas to serve and for
// every run that was due by then to end.
void HealAndSettle(SoakCluster& cluster, FaultInjector& injector, absl::Time epoch) {
  for (const std::string& problem : cluster.HealAll()) {
    injector.AddFinding(kFaultFailedCheck, "healing: " + problem);
  }
  const absl::Time healed = absl::Now();
  std::cout << Stamp(epoch) << "every fault healed" << std::endl;
  std::string health;
  const bool serving = testing::WaitUntil(kServingBound, [&] {
    health = cluster.HealthOfAll();
    return health == "o1=SERVING o2=SERVING";
  });
  if (!serving) injector.AddFinding(kNotServingCheck, health);
  const std::string open_runs = absl::StrCat(
      "SELECT count(*) FROM flow_runs WHERE state NOT IN"
      " ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')"
      " AND (scheduled_time IS NULL OR scheduled_time <= to_timestamp(",
      absl::ToUnixMicros(healed), " / 1000000.0))");
  int64_t open = -1;
  while (absl::Now() < healed + kRunsEndBound) {
    auto counted = cluster.Sql(open_runs);
    open = counted.ok() ? (*counted)[0][0].as<int64_t>() : -1;
    if (open == 0) break;
    absl::SleepFor(absl::Seconds(1));
  }
  std::cout << Stamp(epoch) << "replicas " << health
            << "; runs due by the heal still open: " << open << " ("
            << absl::ToInt64Seconds(absl::Now() - healed) << " s after healing)" << std::endl;
}

void PrintFaults(const std::vector<FaultRecord>& records) {
  std::map<std::string, int> per_kind;
  for (const FaultRecord& r : records) per_kind[std::string(Name(r.fault.kind))]++;
  std::cout << "==== faults per kind (" << records.size() << " in all)\n";
  for (FaultKind kind : kAllFaultKinds) {
    std::cout << "  " << Name(kind) << ": " << per_kind[std::string(Name(kind))] << "\n";
  }
}

TEST(ChaosSoak, MixedLoadUnderRandomFaultsKeepsEveryInvariant) {
  const SoakSettings settings = SettingsFromEnvironment();
  const std::string repeat =
      absl::StrCat("BATON_CHAOS_SEED=", settings.seed,
                   " BATON_CHAOS_MINUTES=", absl::ToDoubleMinutes(settings.faults));
  std::cout << "chaos soak: seed " << settings.seed << ", " << absl::FormatDuration(settings.faults)
            << " of faults (repeat: " << repeat << ")" << std::endl;
  SCOPED_TRACE("chaos soak seed " + std::to_string(settings.seed) + "; repeat: " + repeat);
  const std::string dir = MakeArtifactsDir();
  bool passed = false;
  {
    SoakCluster cluster(dir);
    const absl::Status started = cluster.Start();
    ASSERT_TRUE(started.ok()) << started;
    for (const SoakFlow& flow : SoakFlows()) {
      ASSERT_NO_FATAL_FAILURE(Apply(cluster, "flow", flow.name, flow.yaml));
    }
    ASSERT_NO_FATAL_FAILURE(Apply(cluster, "deployment", kSoakDeploymentName, kSoakDeploymentYaml));

    const absl::Time epoch = absl::Now();
    HealthSampler health(cluster);
    health.Start();
    LoadGenerator load(cluster, settings.seed ^ kLoadSalt, "soak");
    load.Start();
    FaultPlan plan(settings.seed, cluster.workers(), cluster.replicas());
    FaultInjector injector(cluster, epoch);
    InjectFaults(plan, injector, cluster, load, epoch, settings.faults);
    load.Stop();
    HealAndSettle(cluster, injector, epoch);
    health.Stop();

    const SoakRecord record{epoch,
                            load.Submits(),
                            load.Calls(),
                            health.Samples(),
                            injector.records(),
                            injector.findings()};
    const SoakReport report = CheckSoak(cluster, record);
    PrintFaults(injector.records());
    PrintReport(report, kRowsPrinted);
    std::ofstream(dir + "/postgresql.log") << cluster.PostgresLog();
    for (const auto& check : report.checks) {
      EXPECT_EQ(check.rows.size(), 0u) << check.name << " (rows printed above)";
    }
    passed = report.ok() && !::testing::Test::HasFailure();
  }
  if (passed && !settings.keep) {
    std::filesystem::remove_all(dir);
  } else {
    std::cout << "process logs kept in " << dir << "\n";
  }
  if (!passed)
    std::cout << "chaos soak FAILED with seed " << settings.seed << " (repeat: " << repeat << ")\n";
}

}  // namespace
}  // namespace baton::chaos
