// The chaos soak's cluster, each process on a host of its own (network
// namespaces, tests/support/netns.h): PostgreSQL on "db" with one
// baton_blackhole_proxy per replica in front of it (also on "db"), the
// orchestrator replicas "o1" and "o2" (each reaching PostgreSQL only through
// its own proxy), workers "w1".."w4" (baton-worker on w1 and w2 serving the
// queue "default"; baton-example-worker on w3 and w4 serving "default" and
// "example") and the CLI on "cli", given both replicas as one target. Process logs go to dir().
//
// Every operation is bounded. Not thread-safe, except Cli(), Health(),
// Sql() and Leaders(), which any thread may call while the others run.
#pragma once

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "baton/v1/run_service.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/host_postgres.h"
#include "tests/support/netns.h"
#include "tests/support/test_cluster.h"

namespace baton::chaos {

class SoakCluster {
 public:
  // `extra_orchestrator_args` are added to both replicas' flags (flags of
  // their own, not ones the cluster already sets).
  explicit SoakCluster(std::string dir, std::vector<std::string> extra_orchestrator_args = {});
  ~SoakCluster();
  SoakCluster(const SoakCluster&) = delete;
  SoakCluster& operator=(const SoakCluster&) = delete;

  // Builds the network, starts PostgreSQL, the proxies, both replicas (o1
  // first: it takes the leads) and the workers.
  absl::Status Start();

  const std::vector<std::string>& workers() const { return workers_; }
  const std::vector<std::string>& replicas() const { return replicas_; }
  const std::string& dir() const { return dir_; }
  // A host's address on the test network ("10.77.0.11").
  std::string Address(const std::string& host) const { return net_->address(host); }

  // Processes by host. StartProcess (re)starts a replica or a worker with the
  // arguments it first had; a replica must serve within 30 s.
  absl::Status StartProcess(const std::string& host);
  // SIGKILL, and reaped (bounded); ids of what it left running are the caller's to check.
  void Kill(const std::string& host);
  void Pause(const std::string& host);   // SIGSTOP
  void Resume(const std::string& host);  // SIGCONT
  bool Running(const std::string& host);
  pid_t Pid(const std::string& host) const;
  std::string Log(const std::string& host) const;

  // Drops every packet of `host` (but its loopback), or lets them through.
  absl::Status CutLink(const std::string& host);
  absl::Status RestoreLink(const std::string& host);

  // The proxy of `replica` forwards nothing (true) or everything (false);
  // returns once the proxy has switched, with the line it printed.
  absl::StatusOr<std::string> SetBlackhole(const std::string& replica, bool on);

  // PostgreSQL down ("fast" or "immediate") and up again.
  absl::Status StopPostgres(const std::string& mode);
  absl::Status StartPostgres();
  bool PostgresRunning() const { return pg_->running(); }
  std::string PostgresLog() const;
  // Read-only by default for every session without its own setting (ALTER
  // SYSTEM + pg_reload_conf), or back to writable.
  absl::Status SetReadOnly(bool on);

  // Undoes every fault still in place: PostgreSQL up and writable, proxies
  // forwarding, links restored, stopped processes continued, dead ones
  // restarted. One line per problem met; empty when all went well.
  std::vector<std::string> HealAll();

  // The baton CLI on the cli host against both replicas (--timeout 5s), bounded by 30 s.
  testing::CliResult Cli(std::vector<std::string> args) const;
  // The same against `replicas` only, each call with `call_timeout`.
  testing::CliResult CliVia(const std::vector<std::string>& replicas, absl::Duration call_timeout,
                            std::vector<std::string> args) const;
  // Runs `argv` on `host` (bounded by `timeout`); its stdout, or an error
  // unless it exits 0.
  absl::StatusOr<std::string> RunOn(const std::string& host, std::vector<std::string> argv,
                                    absl::Duration timeout) const;
  // Writes `yaml` to dir() and applies it: `baton KIND apply -f`.
  absl::Status Apply(const std::string& kind, const std::string& name,
                     const std::string& yaml) const;
  // `baton run start FLOW`, then `baton run get ID`, through `replicas` (5 s
  // a call): the new run's id, and the run as the CLI's JSON shows it.
  absl::StatusOr<std::string> StartRun(const std::vector<std::string>& replicas,
                                       const std::string& flow) const;
  absl::StatusOr<v1::Run> GetRun(const std::vector<std::string>& replicas,
                                 const std::string& run_id) const;
  // The overall gRPC health of `replica`, asked from the cli host (2 s deadline).
  std::string Health(const std::string& replica) const;
  // "o1=SERVING o2=NOT_SERVING"
  std::string HealthOfAll() const;
  // Who holds the timers and scheduler leadership leases, by replica, e.g.
  // "scheduler o2 term 3; timers o1 term 4 (expired)", or the error.
  std::string Leaders() const;
  // The replica holding an unexpired lease on `loop` ("timers" or
  // "scheduler"), or "" when none does (or the database cannot say).
  std::string LeaderOf(const std::string& loop) const;

  // SQL on a session of the harness's own (application_name baton-chaos,
  // never read-only, 10 s statement timeout), outside any transaction block.
  absl::StatusOr<pqxx::result> Sql(const std::string& query) const;
  // libpq connection string of such a session.
  std::string HarnessUrl() const { return SessionUrl("baton-chaos", true); }
  // A harness session named `application_name`: with `writable`, never
  // read-only and bounded as above; without, as PostgreSQL's settings say.
  std::string SessionUrl(const std::string& application_name, bool writable) const;

 private:
  std::vector<std::string> OrchestratorArgs(const std::string& host) const;
  std::vector<std::string> WorkerArgs(const std::string& host, const std::string& binary) const;
  absl::Status StartProxy(const std::string& replica, int port);
  absl::Status WaitForReady(const std::string& host);
  // The replica a leadership holder ("host/pid address:port") names, else `holder`.
  std::string ReplicaOf(const std::string& holder) const;

  const std::string dir_;
  const std::vector<std::string> extra_orchestrator_args_;
  const std::vector<std::string> workers_ = {"w1", "w2", "w3", "w4"};
  const std::vector<std::string> replicas_ = {"o1", "o2"};
  std::unique_ptr<testing::NetnsNetwork> net_;
  std::unique_ptr<testing::HostPostgres> pg_;
  std::string target_;                                    // both replicas, for clients
  std::map<std::string, std::vector<std::string>> argv_;  // by host
  std::map<std::string, std::string> proxy_address_;      // by replica: its way to PostgreSQL
  std::map<std::string, std::unique_ptr<testing::ChildProcess>>
      processes_;  // by host or "proxy-oN"
  std::set<std::string> paused_;
  std::set<std::string> cut_;
  std::set<std::string> blackholed_;
  bool read_only_ = false;
};

}  // namespace baton::chaos
