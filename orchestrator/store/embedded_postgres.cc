#include "orchestrator/store/embedded_postgres.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/process/subprocess.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* kServerUser = "postgres";
constexpr int kPort = 5432;  // only names the socket file; no TCP listener
constexpr size_t kMaxSocketPath = 100;

absl::StatusOr<std::string> FindBinDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    if (fs::exists(bin + "/initdb") &&
        (best.empty() || entry.path().filename() > fs::path(best).parent_path().filename())) {
      best = bin;
    }
  }
  if (best.empty()) {
    return absl::FailedPreconditionError(
        "embedded PostgreSQL: no server found under /usr/lib/postgresql/*/bin; install the "
        "Debian package postgresql-15, or pass --database-url");
  }
  return best;
}

// Makes `path` owned by the server user when we are root.
absl::Status HandOver(const std::string& path) {
  if (geteuid() != 0) return absl::OkStatus();
  const passwd* pw = getpwnam(kServerUser);
  if (pw == nullptr) {
    return absl::FailedPreconditionError(
        "embedded PostgreSQL: running as root needs the \"postgres\" user (Debian's "
        "postgresql package creates it)");
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

bool IsInitialized(const std::string& data) { return fs::exists(data + "/PG_VERSION"); }

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options, std::string bin_dir)
    : options_(std::move(options)),
      bin_dir_(std::move(bin_dir)),
      root_(fs::absolute(options_.data_dir).lexically_normal().string() + "/postgres") {}

EmbeddedPostgres::~EmbeddedPostgres() {
  absl::Status s = Stop();
  if (!s.ok()) spdlog::warn("embedded PostgreSQL: {}", s.ToString());
}

absl::StatusOr<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::Start(
    const EmbeddedPostgresOptions& options) {
  auto bin_dir = FindBinDir(options.bin_dir);
  if (!bin_dir.ok()) return bin_dir.status();
  std::unique_ptr<EmbeddedPostgres> pg(new EmbeddedPostgres(options, *bin_dir));
  if (auto s = pg->InitIfNeeded(); !s.ok()) return s;
  if (auto s = pg->StartServer(); !s.ok()) return s;
  if (auto s = pg->CreateDatabase(options.database); !s.ok()) return s;
  return pg;
}

absl::Status EmbeddedPostgres::RunTool(const std::string& tool, std::vector<std::string> args) {
  SubprocessOptions run;
  if (geteuid() == 0) run.argv = {"runuser", "-u", kServerUser, "--"};
  run.argv.push_back(bin_dir_ + "/" + tool);
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.working_dir = root_;
  run.env["LC_ALL"] = "C.UTF-8";
  auto result = RunSubprocess(run, nullptr);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("embedded PostgreSQL: ", tool, " failed (exit ",
                                            result->exit_code, "): ", result->stderr_tail,
                                            result->stdout_tail, LogTail()));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::InitIfNeeded() {
  std::error_code ec;
  fs::create_directories(root_ + "/run", ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", root_, ": ", ec.message()));
  chmod(root_.c_str(), 0700);
  for (const std::string& dir : {root_, root_ + "/run"}) {
    if (auto s = HandOver(dir); !s.ok()) return s;
  }
  if ((root_ + "/run/.s.PGSQL.5432").size() > kMaxSocketPath) {
    return absl::InvalidArgumentError(absl::StrCat("embedded PostgreSQL: data folder path \"",
                                                   options_.data_dir,
                                                   "\" is too long for a "
                                                   "Unix socket; expected at most ",
                                                   kMaxSocketPath - 30, " characters"));
  }
  if (IsInitialized(root_ + "/data")) return absl::OkStatus();
  spdlog::info("embedded PostgreSQL: creating a cluster in {}/data", root_);
  std::vector<std::string> args = {
      "-D", root_ + "/data", "-U", kServerUser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"};
  if (!options_.durable) args.push_back("--no-sync");
  absl::Status s = RunTool("initdb", args);
  if (!s.ok() && geteuid() == 0) {
    return absl::Status(s.code(), absl::StrCat(s.message(),
                                               " (as root the server runs as user "
                                               "\"postgres\", which must be able to reach ",
                                               root_, ")"));
  }
  return s;
}

absl::Status EmbeddedPostgres::StartServer() {
  std::vector<std::string> server = {"-p", std::to_string(kPort), "-k", root_ + "/run",
                                     "-c", "listen_addresses=",   "-c", "max_connections=200"};
  if (!options_.durable) {
    server.insert(server.end(), {"-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                                 "full_page_writes=off"});
  }
  // Adopt a server left running on this folder (e.g. after a crash).
  if (RunTool("pg_ctl", {"status", "-D", root_ + "/data"}).ok()) {
    spdlog::info("embedded PostgreSQL: adopting the server already running in {}", root_);
  } else {
    const std::string timeout = std::to_string(absl::ToInt64Seconds(options_.start_timeout));
    absl::Status s = RunTool("pg_ctl", {"start", "-D", root_ + "/data", "-l", root_ + "/server.log",
                                        "-w", "-t", timeout, "-o", absl::StrJoin(server, " ")});
    if (!s.ok()) return s;
  }
  running_ = true;
  spdlog::info("embedded PostgreSQL: running, socket in {}/run", root_);
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  return RunTool("pg_ctl", {"stop", "-D", root_ + "/data", "-m", "fast", "-w", "-t", "30"});
}

std::string EmbeddedPostgres::UrlFor(const std::string& database) const {
  return absl::StrCat("host=", root_, "/run port=", kPort, " user=", kServerUser,
                      " dbname=", database);
}

absl::Status EmbeddedPostgres::CreateDatabase(const std::string& database) {
  try {
    pqxx::connection conn(UrlFor("postgres"));
    pqxx::nontransaction tx(conn);
    if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", database).empty()) {
      tx.exec("CREATE DATABASE " + tx.quote_name(database));
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("embedded PostgreSQL: create database \"", database,
                                               "\": ", e.what(), LogTail()));
  }
}

std::string EmbeddedPostgres::LogTail() const {
  std::ifstream in(root_ + "/server.log");
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string log = ss.str();
  if (log.size() > 2000) log = log.substr(log.size() - 2000);
  return log.empty() ? "" : absl::StrCat("\n--- server log (tail) ---\n", log);
}

}  // namespace baton::store
