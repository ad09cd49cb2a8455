#include "tests/support/host_postgres.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace baton::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin";

std::vector<std::string> AsPostgres(const std::string& tool, std::vector<std::string> args) {
  std::vector<std::string> argv = {"runuser", "-u", "postgres", "--",
                                   absl::StrCat(kBin, "/", tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

HostPostgres::HostPostgres(const NetnsNetwork& network, const std::string& host, int port)
    : network_(network), host_(host), port_(port) {
  std::string pattern = "/tmp/baton-multihost-pg.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  dir_ = pattern;
  log_ = dir_ + "/server.log";
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    std::cerr << "the postgres user must own " << dir_ << "\n";
    std::abort();
  }
  auto init =
      RunCommand(AsPostgres("initdb", {"-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E",
                                       "UTF8", "--locale=C.UTF-8", "--no-sync"}),
                 absl::Seconds(60));
  if (!init.ok()) {
    std::cerr << "initdb failed: " << init.status().ToString() << "\n";
    std::abort();
  }
  std::ofstream(dir_ + "/data/pg_hba.conf", std::ios::app) << "host all all 10.77.0.0/24 trust\n";
}

HostPostgres::~HostPostgres() {
  if (running_) (void)Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status HostPostgres::PgCtl(std::vector<std::string> args, absl::Duration timeout) {
  return network_.Run(host_, AsPostgres("pg_ctl", std::move(args)), timeout).status();
}

absl::Status HostPostgres::Configure(const std::string& lines) {
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << lines << "\n";
  conf.close();
  if (!conf) return absl::InternalError("cannot append to " + dir_ + "/data/postgresql.conf");
  return absl::OkStatus();
}

absl::Status HostPostgres::Start() {
  const std::string options =
      absl::StrCat("-p ", port_, " -k ", dir_, " -c listen_addresses=", network_.address(host_),
                   " -c fsync=off -c max_connections=200");
  absl::Status s =
      PgCtl({"start", "-D", dir_ + "/data", "-l", log_, "-w", "-t", "30", "-o", options},
            absl::Seconds(40));
  running_ = running_ || s.ok();
  return s;
}

absl::Status HostPostgres::Stop(const std::string& mode) {
  absl::Status s =
      PgCtl({"stop", "-D", dir_ + "/data", "-m", mode, "-w", "-t", "30"}, absl::Seconds(40));
  if (s.ok()) running_ = false;
  return s;
}

std::string HostPostgres::url() const {
  return absl::StrCat("host=", network_.address(host_), " port=", port_,
                      " user=postgres dbname=postgres");
}

std::string HostPostgres::local_url() const {
  return absl::StrCat("host=", dir_, " port=", port_, " user=postgres dbname=postgres");
}

}  // namespace baton::testing
