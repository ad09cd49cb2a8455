#include "orchestrator/orchestrator.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/base/limits.h"
#include "common/base/request_deadline.h"
#include "orchestrator/loops/background_loops.h"
#include "orchestrator/loops/health_monitor.h"
#include "orchestrator/metrics.h"
#include "orchestrator/ready_signal.h"
#include "orchestrator/service/breaker_service.h"
#include "orchestrator/service/cluster_service.h"
#include "orchestrator/service/deployment_service.h"
#include "orchestrator/service/flow_service.h"
#include "orchestrator/service/run_service.h"
#include "orchestrator/store/breaker_store.h"
#include "orchestrator/store/deployment_store.h"
#include "orchestrator/store/embedded_postgres.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/log_store.h"
#include "orchestrator/store/metrics_store.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/ready_listener.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/schedule_store.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

struct Database {
  std::unique_ptr<store::EmbeddedPostgres> embedded;  // null with --database-url
  std::string url;
};

// A peer (worker, client) that answers no HTTP/2 ping within this is gone.
constexpr absl::Duration kPeerTimeout = absl::Seconds(10);

// Each synchronous call's deadline, for the database pool on its thread
// (common/base/request_deadline.h). gRPC allows one set of global callbacks per
// process, installed before the first server is built.
class RequestDeadlineCallbacks : public grpc::Server::GlobalCallbacks {
 public:
  void PreSynchronousRequest(grpc::ServerContext* context) override {
    SetCurrentRequestDeadline(absl::FromChrono(context->deadline()));
  }
  void PostSynchronousRequest(grpc::ServerContext*) override {
    SetCurrentRequestDeadline(absl::InfiniteFuture());
  }
};

void InstallRequestDeadlines() {
  static std::once_flag once;
  std::call_once(once, [] { grpc::Server::SetGlobalCallbacks(new RequestDeadlineCallbacks); });
}

absl::StatusOr<Database> OpenDatabase(const OrchestratorOptions& options) {
  Database db;
  if (!options.database_url.empty()) {
    db.url = options.database_url;
    return db;
  }
  store::EmbeddedPostgresOptions pg;
  pg.data_dir = options.data_dir;
  auto embedded = store::EmbeddedPostgres::Start(pg);
  if (!embedded.ok()) return embedded.status();
  db.embedded = *std::move(embedded);
  db.url = db.embedded->url();
  return db;
}

absl::StatusOr<std::unique_ptr<store::PgPool>> OpenPool(const std::string& url, int size) {
  store::PgPoolOptions pool_options;
  pool_options.url = url;
  pool_options.size = size;
  return store::PgPool::Open(pool_options);
}

absl::Status Migrate(store::PgPool& pool) {
  auto applied = store::ApplyMigrations(pool);
  if (!applied.ok()) return applied.status();
  if (applied->empty()) spdlog::info("database schema is up to date");
  return absl::OkStatus();
}

}  // namespace

struct Orchestrator::Parts {
  OrchestratorOptions options;
  Database db;
  std::unique_ptr<store::PgPool> pool;
  std::unique_ptr<store::FlowStore> flows;
  std::unique_ptr<store::RunStore> runs;
  std::unique_ptr<store::LogStore> logs;
  std::unique_ptr<store::LeaseStore> leases;
  std::unique_ptr<store::WorkerStore> workers;
  std::unique_ptr<store::BreakerStore> breakers;
  std::unique_ptr<store::DeploymentStore> deployments;
  std::unique_ptr<store::ScheduleStore> schedules;
  std::unique_ptr<store::MetricsStore> metrics_store;
  // Timers and scheduler, each led by one replica; declared before `metrics`
  // (whose scrapes ask it who leads), so that it is destroyed after it.
  std::unique_ptr<BackgroundLoops> loops;
  std::unique_ptr<OrchestratorMetrics> metrics;  // null when off
  std::string metrics_address;
  ReadySignal ready;
  std::unique_ptr<store::ReadyListener> listener;
  std::unique_ptr<service::WorkerServiceImpl> worker_service;
  std::unique_ptr<service::FlowServiceImpl> flow_service;
  std::unique_ptr<service::RunServiceImpl> run_service;
  std::unique_ptr<service::ClusterServiceImpl> cluster_service;
  std::unique_ptr<service::BreakerServiceImpl> breaker_service;
  std::unique_ptr<service::DeploymentServiceImpl> deployment_service;
  std::unique_ptr<grpc::Server> server;
  std::vector<std::string> service_names;  // reported by grpc.health.v1 besides ""
  std::unique_ptr<HealthMonitor> health_monitor;
  std::string address;
  ServerSecurity security;  // the port's credentials, built before anything starts
  bool shut_down = false;

  void MakeStoresAndServices() {
    flows = std::make_unique<store::FlowStore>(*pool);
    runs = std::make_unique<store::RunStore>(*pool, options.worker_liveness);
    logs = std::make_unique<store::LogStore>(*pool);
    leases = std::make_unique<store::LeaseStore>(*pool, options.execution_grace);
    workers = std::make_unique<store::WorkerStore>(*pool);
    breakers = std::make_unique<store::BreakerStore>(*pool);
    deployments = std::make_unique<store::DeploymentStore>(*pool);
    schedules = std::make_unique<store::ScheduleStore>(*pool);
    worker_service = std::make_unique<service::WorkerServiceImpl>(options.worker, *leases, *workers,
                                                                  *logs, ready);
    flow_service = std::make_unique<service::FlowServiceImpl>(*flows);
    run_service =
        std::make_unique<service::RunServiceImpl>(*flows, *runs, *logs, ready, options.max_watch);
    cluster_service =
        std::make_unique<service::ClusterServiceImpl>(*workers, options.worker_liveness);
    breaker_service = std::make_unique<service::BreakerServiceImpl>(*breakers);
    deployment_service =
        std::make_unique<service::DeploymentServiceImpl>(*deployments, *flows, *runs, *schedules);
  }

  absl::Status StartServer() {
    InstallRequestDeadlines();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(options.listen, security.credentials, &port);
    grpc::ResourceQuota quota("baton-orchestrator");
    quota.SetMaxThreads(kMaxServerThreads);
    builder.SetResourceQuota(quota);
    builder.SetMaxReceiveMessageSize(kMaxRequestMessageBytes);
    builder.SetMaxSendMessageSize(kMaxResponseMessageBytes);
    // Clients ping every few seconds to leave a replica that stopped
    // answering (rpc::ChannelOptions); the server pings idle-looking
    // connections too, so a frozen or vanished worker's waiting poll is
    // cancelled (and leases nothing) within kPeerTimeout.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(kPeerTimeout / 2)));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(kPeerTimeout / 2)));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    if (metrics) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> counters;
      counters.push_back(metrics->RpcCounterFactory());
      builder.experimental().SetInterceptorCreators(std::move(counters));
    }
    builder.RegisterService(worker_service.get());
    builder.RegisterService(flow_service.get());
    builder.RegisterService(run_service.get());
    builder.RegisterService(cluster_service.get());
    builder.RegisterService(breaker_service.get());
    builder.RegisterService(deployment_service.get());
    service_names = {
        v1::WorkerService::service_full_name(),  v1::FlowService::service_full_name(),
        v1::RunService::service_full_name(),     v1::ClusterService::service_full_name(),
        v1::BreakerService::service_full_name(), v1::DeploymentService::service_full_name()};
    server = builder.BuildAndStart();
    if (!server || port == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
    }
    address = absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":", port);
    return absl::OkStatus();
  }

  absl::Status StartLoops() {
    BackgroundLoopOptions loop_options;
    loop_options.database_url = db.url;
    loop_options.replica = ReplicaName(options.listen);
    loop_options.reaper_interval = options.reaper_interval;
    loop_options.execution_grace = options.execution_grace;
    loop_options.lease_duration = options.worker.lease_duration;
    loop_options.schedule_horizon = options.schedule_horizon;
    loop_options.scheduler_interval = options.scheduler_interval;
    auto started = BackgroundLoops::Start(loop_options);
    if (!started.ok()) return started.status();
    loops = *std::move(started);
    return absl::OkStatus();
  }

  absl::Status StartMetrics() {
    if (options.metrics_address.empty()) return absl::OkStatus();
    metrics_store = std::make_unique<store::MetricsStore>(*pool);
    OrchestratorMetricsOptions metrics_options;
    metrics_options.address = options.metrics_address;
    metrics_options.worker_liveness = options.worker_liveness;
    metrics_options.leadership = [loops = loops.get()] {
      return std::vector<std::pair<std::string, bool>>{{"timers", loops->leads_timers()},
                                                       {"scheduler", loops->leads_scheduler()}};
    };
    auto started = OrchestratorMetrics::Start(metrics_options, *metrics_store);
    if (!started.ok()) return started.status();
    metrics = *std::move(started);
    metrics_address = metrics->address();
    spdlog::info("metrics on http://{}/metrics", metrics_address);
    return absl::OkStatus();
  }

  // SERVING while the database answers a probe; the pool has just reached it.
  void StartHealthMonitor() {
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    auto publish = [health, names = service_names](bool serving) {
      health->SetServingStatus(serving);
      for (const std::string& name : names) health->SetServingStatus(name, serving);
    };
    publish(true);
    store::PgPool* db = pool.get();
    const absl::Duration timeout = options.health_interval;
    health_monitor = std::make_unique<HealthMonitor>([db, timeout] { return db->Ping(timeout); },
                                                     std::move(publish), options.health_interval);
    health_monitor->Start();
  }
};

Orchestrator::Orchestrator(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Orchestrator::~Orchestrator() { Shutdown(); }

const std::string& Orchestrator::address() const { return parts_->address; }

const std::string& Orchestrator::metrics_address() const { return parts_->metrics_address; }

absl::StatusOr<std::unique_ptr<Orchestrator>> Orchestrator::Start(
    const OrchestratorOptions& options) {
  auto parts = std::make_unique<Parts>();
  parts->options = options;
  auto security = MakeServerSecurity(options.security);  // bad files fail before the database
  if (!security.ok()) return security.status();
  parts->security = *std::move(security);
  auto db = OpenDatabase(options);
  if (!db.ok()) return db.status();
  parts->db = *std::move(db);
  auto pool = OpenPool(parts->db.url, options.db_pool_size);
  if (!pool.ok()) return pool.status();
  parts->pool = *std::move(pool);
  if (options.migrate) {
    if (auto s = Migrate(*parts->pool); !s.ok()) return s;
  }
  parts->MakeStoresAndServices();
  ReadySignal* ready = &parts->ready;
  parts->listener =
      std::make_unique<store::ReadyListener>(parts->db.url, [ready] { ready->Notify(); });
  parts->listener->Start();
  if (auto s = parts->StartLoops(); !s.ok()) return s;
  if (auto s = parts->StartMetrics(); !s.ok()) return s;
  if (auto s = parts->StartServer(); !s.ok()) return s;
  parts->StartHealthMonitor();
  spdlog::info("baton-orchestrator listening on {} ({})", parts->address, parts->security.summary);
  return std::unique_ptr<Orchestrator>(new Orchestrator(std::move(parts)));
}

void Orchestrator::Shutdown() {
  if (!parts_ || parts_->shut_down) return;
  parts_->shut_down = true;
  spdlog::info("shutting down");
  parts_->ready.Shutdown();
  // Health checks answer NOT_SERVING from here on; later updates are ignored.
  parts_->server->GetHealthCheckService()->Shutdown();
  parts_->health_monitor->Stop();
  parts_->server->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(parts_->options.shutdown_grace));
  parts_->loops->Stop();
  parts_->listener.reset();
  parts_->metrics.reset();  // scrapes read the pool
  parts_->loops.reset();    // closing its connections hands the leads to another replica
  parts_->pool.reset();
  if (parts_->db.embedded) {
    absl::Status s = parts_->db.embedded->Stop();
    if (!s.ok()) spdlog::warn("{}", s.ToString());
  }
}

absl::Status MigrateOnly(const OrchestratorOptions& options) {
  auto db = OpenDatabase(options);
  if (!db.ok()) return db.status();
  auto pool = OpenPool(db->url, 1);
  if (!pool.ok()) return pool.status();
  return Migrate(**pool);
}

}  // namespace baton
