#include "tests/chaos/soak_cluster.h"

#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/process/subprocess.h"
#include "nlohmann/json.hpp"

namespace baton::chaos {
namespace {

using testing::ChildProcess;
using testing::WaitUntil;

constexpr int kGrpcPort = 7233;
constexpr int kPostgresPort = 5432;
constexpr int kFirstProxyPort = 6401;

// Short timings, so that leases, retries and schedules turn over many times
// in a few minutes.
const std::vector<std::string> kOrchestratorTimings = {
    "--lease-duration",     "4s",    "--heartbeat-interval", "1s",    "--reaper-interval", "500ms",
    "--scheduler-interval", "500ms", "--health-interval",    "500ms", "--max-poll-wait",   "5s",
    "--execution-grace",    "2s",    "--schedule-horizon",   "3m",    "--db-pool-size",    "6"};

const std::vector<std::pair<std::string, int>> kHosts = {
    {"db", 2}, {"o1", 11}, {"o2", 12}, {"w1", 21}, {"w2", 22}, {"w3", 23}, {"w4", 24}, {"cli", 30}};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void AppendLine(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << "\n";
}

}  // namespace

SoakCluster::SoakCluster(std::string dir, std::vector<std::string> extra_orchestrator_args)
    : dir_(std::move(dir)), extra_orchestrator_args_(std::move(extra_orchestrator_args)) {}

SoakCluster::~SoakCluster() {
  for (const std::string& host : paused_) {
    if (auto it = processes_.find(host); it != processes_.end()) it->second->Signal(SIGCONT);
  }
  processes_.clear();  // SIGKILLs what still runs
  pg_.reset();
  net_.reset();
}

absl::Status SoakCluster::Start() {
  if (absl::Status s = testing::NetnsNetwork::CheckCapable(); !s.ok()) return s;
  net_ = std::make_unique<testing::NetnsNetwork>();
  for (const auto& [name, number] : kHosts) {
    if (auto added = net_->AddHost(name, number); !added.ok()) return added.status();
  }
  target_ = absl::StrCat("ipv4:", net_->address("o1"), ":", kGrpcPort, ",", net_->address("o2"),
                         ":", kGrpcPort);
  pg_ = std::make_unique<testing::HostPostgres>(*net_, "db", kPostgresPort);
  // Which session wrote each log line, to tell Baton's from the harness's.
  if (absl::Status s = pg_->Configure("log_line_prefix = '%m [%p] %a: '"); !s.ok()) return s;
  if (absl::Status s = pg_->Start(); !s.ok()) return s;
  for (size_t i = 0; i < replicas_.size(); ++i) {
    const std::string& replica = replicas_[i];
    if (absl::Status s = StartProxy(replica, kFirstProxyPort + static_cast<int>(i)); !s.ok()) {
      return s;
    }
    argv_[replica] = OrchestratorArgs(replica);
    if (absl::Status s = StartProcess(replica); !s.ok()) return s;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    argv_[workers_[i]] =
        WorkerArgs(workers_[i], i < 2 ? testing::WorkerBinary() : testing::ExampleWorkerBinary());
    if (absl::Status s = StartProcess(workers_[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SoakCluster::StartProxy(const std::string& replica, int port) {
  const std::string name = "proxy-" + replica;
  const std::string log = absl::StrCat(dir_, "/", name, ".log");
  const std::string listen = absl::StrCat(net_->address("db"), ":", port);
  proxy_address_[replica] = listen;
  processes_[name] = std::make_unique<ChildProcess>(
      net_->In("db", {BATON_BLACKHOLE_PROXY_BIN, listen,
                      absl::StrCat(net_->address("db"), ":", kPostgresPort)}),
      log);
  ChildProcess& proxy = *processes_[name];
  if (!WaitUntil(
          absl::Seconds(10),
          [&] { return absl::StrContains(proxy.Log(), "listening on") || !proxy.running(); }) ||
      !proxy.running()) {
    return absl::InternalError(absl::StrCat(name, " did not start: ", proxy.Log()));
  }
  return absl::OkStatus();
}

std::vector<std::string> SoakCluster::OrchestratorArgs(const std::string& host) const {
  const std::string& proxy = proxy_address_.at(host);
  const size_t colon = proxy.rfind(':');
  std::vector<std::string> argv = {
      testing::OrchestratorBinary(),
      "--database-url",
      absl::StrCat("host=", proxy.substr(0, colon), " port=", proxy.substr(colon + 1),
                   " user=postgres dbname=postgres"),
      "--listen",
      absl::StrCat(net_->address(host), ":", kGrpcPort),
      "--ready-file",
      absl::StrCat(dir_, "/", host, ".addr")};
  argv.insert(argv.end(), kOrchestratorTimings.begin(), kOrchestratorTimings.end());
  argv.insert(argv.end(), extra_orchestrator_args_.begin(), extra_orchestrator_args_.end());
  return argv;
}

std::vector<std::string> SoakCluster::WorkerArgs(const std::string& host,
                                                 const std::string& binary) const {
  std::vector<std::string> argv = {binary, "--orchestrator", target_,  "--name",
                                   host,   "--slots",        "2",      "--poll-wait",
                                   "3s",   "--queue",        "default"};
  if (binary == testing::ExampleWorkerBinary()) argv.insert(argv.end(), {"--queue", "example"});
  return argv;
}

absl::Status SoakCluster::WaitForReady(const std::string& host) {
  const std::string ready = absl::StrCat(dir_, "/", host, ".addr");
  ChildProcess& process = *processes_.at(host);
  if (WaitUntil(absl::Seconds(30),
                [&] { return std::filesystem::exists(ready) || !process.running(); }) &&
      std::filesystem::exists(ready)) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat(host, " did not serve within 30 s", process.running() ? "" : " (it exited)"));
}

absl::Status SoakCluster::StartProcess(const std::string& host) {
  const std::string log = absl::StrCat(dir_, "/", host, ".log");
  const bool replica = proxy_address_.count(host) > 0;
  if (replica) std::filesystem::remove(absl::StrCat(dir_, "/", host, ".addr"));
  auto& process = processes_[host];
  process.reset();
  paused_.erase(host);
  AppendLine(log,
             absl::StrCat("==== chaos soak: starting ", host, " at ",
                          absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())));
  // Workers run in the source tree, so that exec tasks find the example scripts.
  process = std::make_unique<ChildProcess>(net_->In(host, argv_.at(host)), log,
                                           replica ? "" : testing::SourceDir());
  return replica ? WaitForReady(host) : absl::OkStatus();
}

void SoakCluster::Kill(const std::string& host) {
  ChildProcess& process = *processes_.at(host);
  process.Signal(SIGKILL);
  process.WaitExit(absl::Seconds(10));
  paused_.erase(host);
}

void SoakCluster::Pause(const std::string& host) {
  processes_.at(host)->Signal(SIGSTOP);
  paused_.insert(host);
}

void SoakCluster::Resume(const std::string& host) {
  processes_.at(host)->Signal(SIGCONT);
  paused_.erase(host);
}

bool SoakCluster::Running(const std::string& host) {
  auto it = processes_.find(host);
  return it != processes_.end() && it->second && it->second->running();
}

pid_t SoakCluster::Pid(const std::string& host) const { return processes_.at(host)->pid(); }

std::string SoakCluster::Log(const std::string& host) const {
  return ReadFile(absl::StrCat(dir_, "/", host, ".log"));
}

absl::Status SoakCluster::CutLink(const std::string& host) {
  absl::Status s = net_->CutLink(host);
  if (s.ok()) cut_.insert(host);
  return s;
}

absl::Status SoakCluster::RestoreLink(const std::string& host) {
  absl::Status s = net_->RestoreLink(host);
  if (s.ok()) cut_.erase(host);
  return s;
}

absl::StatusOr<std::string> SoakCluster::SetBlackhole(const std::string& replica, bool on) {
  ChildProcess& proxy = *processes_.at("proxy-" + replica);
  const size_t before = proxy.Log().size();
  const char* expected = on ? "blackholed: " : "forwarding: ";
  proxy.Signal(on ? SIGUSR1 : SIGUSR2);
  std::string said;
  if (!WaitUntil(absl::Seconds(10), [&] {
        const std::string log = proxy.Log();
        const size_t at = log.find(expected, before);
        if (at == std::string::npos) return false;
        said = log.substr(at, log.find('\n', at) - at);
        return true;
      })) {
    return absl::InternalError(absl::StrCat("proxy of ", replica, " did not switch"));
  }
  if (on) {
    blackholed_.insert(replica);
  } else {
    blackholed_.erase(replica);
  }
  return said;
}

absl::Status SoakCluster::StopPostgres(const std::string& mode) { return pg_->Stop(mode); }

absl::Status SoakCluster::StartPostgres() { return pg_->Start(); }

std::string SoakCluster::PostgresLog() const { return ReadFile(pg_->log_path()); }

absl::Status SoakCluster::SetReadOnly(bool on) {
  const std::string set = on ? "ALTER SYSTEM SET default_transaction_read_only = on"
                             : "ALTER SYSTEM RESET default_transaction_read_only";
  for (const std::string& sql : {set, std::string("SELECT pg_reload_conf()")}) {
    if (auto done = Sql(sql); !done.ok()) return done.status();
  }
  read_only_ = on;
  return absl::OkStatus();
}

std::vector<std::string> SoakCluster::HealAll() {
  std::vector<std::string> problems;
  auto note = [&](const std::string& what, const absl::Status& s) {
    if (!s.ok()) problems.push_back(absl::StrCat(what, ": ", s.ToString()));
  };
  if (!pg_->running()) note("start PostgreSQL", StartPostgres());
  if (read_only_) note("PostgreSQL writable again", SetReadOnly(false));
  for (const std::string& replica : std::set<std::string>(blackholed_)) {
    note("proxy of " + replica + " forwarding", SetBlackhole(replica, false).status());
  }
  for (const std::string& host : std::set<std::string>(cut_)) {
    note("restore link of " + host, RestoreLink(host));
  }
  for (const std::string& host : std::set<std::string>(paused_)) Resume(host);
  for (const auto* group : {&replicas_, &workers_}) {
    for (const std::string& host : *group) {
      if (!Running(host)) note("restart " + host, StartProcess(host));
    }
  }
  return problems;
}

testing::CliResult SoakCluster::Cli(std::vector<std::string> args) const {
  return CliVia(replicas_, absl::Seconds(5), std::move(args));
}

testing::CliResult SoakCluster::CliVia(const std::vector<std::string>& replicas,
                                       absl::Duration call_timeout,
                                       std::vector<std::string> args) const {
  std::vector<std::string> addresses;
  for (const std::string& replica : replicas) {
    addresses.push_back(absl::StrCat(net_->address(replica), ":", kGrpcPort));
  }
  const std::string target =
      absl::StrCat(addresses.size() > 1 ? "ipv4:" : "", absl::StrJoin(addresses, ","));
  std::vector<std::string> argv = {testing::CliBinary(), "--address", target, "--timeout",
                                   absl::StrCat(absl::ToInt64Milliseconds(call_timeout), "ms")};
  argv.insert(argv.end(), args.begin(), args.end());
  SubprocessOptions run;
  run.argv = net_->In("cli", argv);
  run.kill_grace = absl::Seconds(1);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  auto result = RunSubprocess(run, [deadline] { return absl::Now() > deadline; });
  if (!result.ok()) return {-1, "", result.status().ToString()};
  return {result->exit_code, result->stdout_tail, result->stderr_tail};
}

absl::StatusOr<std::string> SoakCluster::RunOn(const std::string& host,
                                               std::vector<std::string> argv,
                                               absl::Duration timeout) const {
  return net_->Run(host, std::move(argv), timeout);
}

absl::Status SoakCluster::Apply(const std::string& kind, const std::string& name,
                                const std::string& yaml) const {
  const std::string path = absl::StrCat(dir_, "/", name, ".yaml");
  std::ofstream(path) << yaml;
  const testing::CliResult applied = Cli({kind, "apply", "-f", path});
  if (applied.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(kind, " ", name, ": ", applied.err));
}

absl::StatusOr<std::string> SoakCluster::StartRun(const std::vector<std::string>& replicas,
                                                  const std::string& flow) const {
  const testing::CliResult started =
      CliVia(replicas, absl::Seconds(5), {"-o", "json", "run", "start", flow});
  const nlohmann::json out = nlohmann::json::parse(started.out, nullptr, false);
  if (started.exit_code != 0 || out.is_discarded() || !out.contains("run")) {
    return absl::UnavailableError(absl::StrCat("run start ", flow, ": ", started.err));
  }
  return out["run"]["id"].get<std::string>();
}

absl::StatusOr<v1::Run> SoakCluster::GetRun(const std::vector<std::string>& replicas,
                                            const std::string& run_id) const {
  const testing::CliResult got =
      CliVia(replicas, absl::Seconds(5), {"-o", "json", "run", "get", run_id});
  if (got.exit_code != 0) return absl::UnavailableError(absl::StrCat("run get: ", got.err));
  v1::Run run;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(got.out, &run, options);
  if (!parsed.ok()) return absl::InternalError(std::string(parsed.message()));
  return run;
}

std::string SoakCluster::Health(const std::string& replica) const {
  auto out = net_->Run(
      "cli", {BATON_HEALTH_PROBE_BIN, absl::StrCat(net_->address(replica), ":", kGrpcPort)},
      absl::Seconds(10));
  return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "probe failed";
}

std::string SoakCluster::HealthOfAll() const {
  std::string out;
  for (const std::string& replica : replicas_) {
    absl::StrAppend(&out, out.empty() ? "" : " ", replica, "=", Health(replica));
  }
  return out;
}

std::string SoakCluster::ReplicaOf(const std::string& holder) const {
  for (const std::string& replica : replicas_) {
    if (absl::StrContains(holder, " " + Address(replica) + ":")) return replica;
  }
  return holder;
}

std::string SoakCluster::Leaders() const {
  auto rows =
      Sql("SELECT loop, holder, term, expires_at <= now() FROM leader_leases ORDER BY loop");
  if (!rows.ok()) return rows.status().ToString();
  std::string out;
  for (const auto& row : *rows) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", row[0].as<std::string>(), " ",
                    ReplicaOf(row[1].as<std::string>()), " term ", row[2].as<int64_t>(),
                    row[3].as<bool>() ? " (expired)" : "");
  }
  return out.empty() ? "nobody" : out;
}

std::string SoakCluster::LeaderOf(const std::string& loop) const {
  auto rows = Sql(absl::StrCat("SELECT holder FROM leader_leases WHERE loop = '", loop,
                               "' AND expires_at > now()"));
  if (!rows.ok() || rows->empty()) return "";
  return ReplicaOf((*rows)[0][0].as<std::string>());
}

std::string SoakCluster::SessionUrl(const std::string& application_name, bool writable) const {
  return absl::StrCat(pg_->local_url(), " application_name=", application_name,
                      " connect_timeout=5",
                      writable ? " options='-c default_transaction_read_only=off"
                                 " -c statement_timeout=10000'"
                               : "");
}

absl::StatusOr<pqxx::result> SoakCluster::Sql(const std::string& query) const {
  try {
    pqxx::connection conn(HarnessUrl());
    pqxx::nontransaction tx(conn);
    return tx.exec(query);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("harness SQL: ", e.what()));
  }
}

}  // namespace baton::chaos
