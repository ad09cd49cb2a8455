// TLS, mutual TLS and bearer tokens on the orchestrator's port, with the real
// binaries: every wrong credential is refused with its code, the right ones
// run a flow end to end, and no token reaches a log. Certificates outside
// their validity window stop each binary at start, and a client whose
// handshake fails says why (expired, not yet valid, wrong name, unknown CA,
// refused). Also: clients given several orchestrator addresses carry on when
// one replica is dead.
//
// Certificates and tokens are made at test time with the openssl command;
// `openssl s_server` stands in for an orchestrator whose certificate lapsed.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "common/process/subprocess.h"
#include "common/rpc/client_channel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/test_cluster.h"
#include "tests/support/test_postgres.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Task a fails if the worker's token leaked into the environment of handlers.
constexpr char kFlow[] = R"(name: secure
tasks:
  - {name: a, handler: exec, config: {command: sh, args: ["-c", 'test -z "$BATON_TOKEN"']}}
  - {name: b, handler: noop, depends_on: [a]}
)";

// A CA, a server certificate for localhost / 127.0.0.1, a client certificate,
// a second CA with a client certificate of its own, and three tokens.
struct Pki {
  std::string dir;
  std::string Path(const std::string& name) const { return dir + "/" + name; }
  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name));
    std::string line;
    std::getline(in, line);
    return line;
  }
};

// Runs `argv` in `dir` for at most 30 s.
absl::StatusOr<SubprocessResult> RunBounded(std::vector<std::string> argv, const std::string& dir) {
  SubprocessOptions run;
  run.argv = std::move(argv);
  run.working_dir = dir;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  return RunSubprocess(run, [deadline] { return absl::Now() > deadline; });
}

void Openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto result = RunBounded(args, dir);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << absl::StrJoin(args, " ") << "\n" << result->stderr_tail;
}

void MakeCa(const std::string& dir, const std::string& name) {
  Openssl(dir,
          {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name});
}

void MakeSigned(const std::string& dir, const std::string& name, const std::string& ca,
                const std::string& extensions) {
  Openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name});
  std::ofstream(dir + "/" + name + ".ext") << extensions << "\n";
  Openssl(dir, {"x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext"});
}

// Signs a new key for `name` with `ca` for the window [start, end] (UTC,
// YYYYMMDDHHMMSSZ): `openssl ca` is the openssl 3.0 command that sets both dates.
void MakeSignedBetween(const std::string& dir, const std::string& name, const std::string& ca,
                       const std::string& extensions, const std::string& start,
                       const std::string& end) {
  const std::string db = dir + "/" + ca + "-db";
  if (!std::filesystem::exists(db)) {
    std::filesystem::create_directories(db + "/new");
    std::ofstream(db + "/index.txt");
    std::ofstream(db + "/ca.cnf")
        << "[ca]\ndefault_ca = test\n[test]\ndatabase = " << db
        << "/index.txt\nnew_certs_dir = " << db << "/new\ncertificate = " << dir << "/" << ca
        << ".pem\nprivate_key = " << dir << "/" << ca
        << ".key\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
        << "rand_serial = yes\n[any]\ncommonName = supplied\n";
  }
  Openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name});
  std::ofstream(dir + "/" + name + ".ext") << extensions << "\n";
  Openssl(dir, {"ca", "-batch", "-notext", "-config", db + "/ca.cnf", "-in", name + ".csr", "-out",
                name + ".pem", "-startdate", start, "-enddate", end, "-extfile", name + ".ext"});
}

constexpr char kLocalNames[] = "subjectAltName=DNS:localhost,IP:127.0.0.1";

const Pki& TestPki() {
  static const Pki* pki = [] {
    auto* p = new Pki{TestTempDir() + "/pki"};
    std::filesystem::create_directories(p->dir);
    MakeCa(p->dir, "ca");
    MakeCa(p->dir, "other-ca");
    MakeSigned(p->dir, "server", "ca", kLocalNames);
    MakeSigned(p->dir, "client", "ca", "extendedKeyUsage=clientAuth");
    MakeSigned(p->dir, "other-client", "other-ca", "extendedKeyUsage=clientAuth");
    MakeSigned(p->dir, "wrong-name-server", "ca", "subjectAltName=DNS:other.example");
    MakeSignedBetween(p->dir, "expired-server", "ca", kLocalNames, "20200101000000Z",
                      "20201231000000Z");
    MakeSignedBetween(p->dir, "future-server", "ca", kLocalNames, "20990101000000Z",
                      "20991231000000Z");
    MakeSignedBetween(p->dir, "expired-client", "ca", "extendedKeyUsage=clientAuth",
                      "20200101000000Z", "20201231000000Z");
    for (const char* token : {"worker.token", "operator.token", "wrong.token"}) {
      Openssl(p->dir, {"rand", "-hex", "-out", token, "32"});
    }
    return p;
  }();
  return *pki;
}

std::vector<std::string> ServerTlsArgs() {
  const Pki& pki = TestPki();
  return {"--tls-cert", pki.Path("server.pem"), "--tls-key", pki.Path("server.key")};
}

std::vector<std::string> TokenFileArgs() {
  const Pki& pki = TestPki();
  return {"--worker-token-file", pki.Path("worker.token"), "--operator-token-file",
          pki.Path("operator.token")};
}

// Client flags: CA, token file, and optionally the client certificate.
std::vector<std::string> ClientArgs(const std::string& token, bool client_cert = false) {
  const Pki& pki = TestPki();
  std::vector<std::string> args = {"--tls-ca", pki.Path("ca.pem"), "--token-file", pki.Path(token)};
  if (client_cert) {
    args.insert(args.end(),
                {"--tls-cert", pki.Path("client.pem"), "--tls-key", pki.Path("client.key")});
  }
  return args;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Sets environment variables for as long as it lives (children inherit them).
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars)
      : vars_(std::move(vars)) {
    for (const auto& [name, value] : vars_) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : vars_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

std::shared_ptr<grpc::Channel> Open(const std::string& address, rpc::ClientSecurity security) {
  auto channel = rpc::OpenChannel({address, std::move(security)});
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *channel : nullptr;
}

rpc::ClientSecurity Tls(const std::string& ca, const std::string& token) {
  rpc::ClientSecurity s;
  s.ca_file = TestPki().Path(ca);
  if (!token.empty()) s.token_file = TestPki().Path(token);
  return s;
}

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

grpc::Status ListWorkers(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::ListWorkersResponse response;
  return v1::ClusterService::NewStub(channel)->ListWorkers(&ctx, {}, &response);
}

grpc::Status GetRun(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::GetRunRequest request;
  request.set_run_id("00000000-0000-0000-0000-000000000000");
  v1::Run response;
  return v1::RunService::NewStub(channel)->GetRun(&ctx, request, &response);
}

grpc::Status RegisterWorker(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::RegisterWorkerRequest request;
  request.set_name("intruder");
  request.set_slots(1);
  request.add_handlers("noop");
  v1::RegisterWorkerResponse response;
  return v1::WorkerService::NewStub(channel)->RegisterWorker(&ctx, request, &response);
}

// One empty message to `method` through a generic stub: enough to see whether
// the auth filter lets the call through.
grpc::Status GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  grpc::ByteBuffer request = ToBuffer("");
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(s); });
  return done.get_future().get();  // bounded by the call's deadline
}

// Applies kFlow and runs it to its end through the CLI at `address`.
void RunFlowWithCli(const std::string& address, const std::vector<std::string>& client_args,
                    const std::string& flow_file) {
  CliResult applied =
      TestCluster::CliAt(address, Concat(client_args, {"flow", "apply", "-f", flow_file}));
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  CliResult run = TestCluster::CliAt(
      address, Concat(client_args,
                      {"-o", "json", "run", "start", "secure", "--wait", "--wait-timeout", "60s"}));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("FLOW_RUN_STATE_COMPLETED"));
}

void ExpectNoSecrets(const std::string& where, const std::string& text) {
  const Pki& pki = TestPki();
  for (const char* token : {"worker.token", "operator.token", "wrong.token"}) {
    EXPECT_THAT(text, Not(HasSubstr(pki.Read(token)))) << where << " shows " << token;
  }
}

// A port on 127.0.0.1 that nothing listens on.
std::string DeadAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

TEST(Security, TokensOverTlsRefuseEveryWrongCredentialWithItsCode) {
  ClusterOptions options;
  options.extra_orchestrator_args =
      Concat(Concat(ServerTlsArgs(), TokenFileArgs()), {"--log-level", "debug"});
  TestCluster cluster("tokens", options);
  const std::string& address = cluster.address();

  EXPECT_EQ(ListWorkers(Open(address, Tls("ca.pem", ""))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListWorkers(Open(address, Tls("ca.pem", "wrong.token"))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(RegisterWorker(Open(address, Tls("ca.pem", "wrong.token"))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto as_worker = Open(address, Tls("ca.pem", "worker.token"));
  EXPECT_EQ(ListWorkers(as_worker).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetRun(as_worker).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(RegisterWorker(as_worker).ok());
  auto as_operator = Open(address, Tls("ca.pem", "operator.token"));
  EXPECT_EQ(RegisterWorker(as_operator).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(ListWorkers(as_operator).ok());
  // A client trusting another CA, and a plaintext client, never get a call through.
  grpc::Status other_ca = ListWorkers(Open(address, Tls("other-ca.pem", "operator.token")));
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(other_ca.error_message(), HasSubstr("certificate verify failed"));
  EXPECT_EQ(ListWorkers(Open(address, {})).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Health stays open for probes and load balancers.
  HealthAnswer health = CheckHealth(Open(address, Tls("ca.pem", "")), "");
  EXPECT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.health, Health::kServing);

  // Server reflection is an operator API.
  const std::string reflection = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_EQ(GenericCall(Open(address, Tls("ca.pem", "")), reflection).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GenericCall(as_worker, reflection).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status described = GenericCall(as_operator, reflection);
  EXPECT_NE(described.error_code(), grpc::StatusCode::UNAUTHENTICATED) << described.error_message();
  EXPECT_NE(described.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // The CLI says why it was refused.
  CliResult refused =
      TestCluster::CliAt(address, Concat(ClientArgs("worker.token"), {"worker", "list"}));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED"));
  ExpectNoSecrets("CLI", refused.out + refused.err);

  // A worker with the wrong token, or the operator's, stops at once and says why.
  for (const char* token : {"wrong.token", "operator.token"}) {
    ChildProcess& rejected = cluster.StartWorker(ClientArgs(token));
    std::optional<int> status = rejected.WaitExit(absl::Seconds(15));
    ASSERT_TRUE(status.has_value()) << token << ": still running\n" << rejected.Log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << rejected.Log();
    EXPECT_THAT(
        rejected.Log(),
        HasSubstr(token == std::string("wrong.token") ? "UNAUTHENTICATED" : "PERMISSION_DENIED"));
    ExpectNoSecrets("rejected worker log", rejected.Log());
  }

  // The right tokens run a flow; the worker reads its token from $BATON_TOKEN.
  ChildProcess* worker = nullptr;
  {
    ScopedEnv env({{"BATON_TOKEN", TestPki().Read("worker.token")}});
    worker = &cluster.StartWorker({"--tls-ca", TestPki().Path("ca.pem")});
  }
  RunFlowWithCli(address, ClientArgs("operator.token"), cluster.WriteFile("secure.yaml", kFlow));

  const std::string log = cluster.orchestrator().Log();
  EXPECT_THAT(log, HasSubstr("(TLS, bearer tokens)"));
  EXPECT_THAT(log, HasSubstr("refused a call"));  // debug lines were on
  ExpectNoSecrets("orchestrator log", log);
  ExpectNoSecrets("worker log", worker->Log());
}

TEST(Security, MutualTlsNeedsAClientCertificateOfTheClientCa) {
  ClusterOptions options;
  options.extra_orchestrator_args =
      Concat(ServerTlsArgs(), {"--tls-client-ca", TestPki().Path("ca.pem")});
  // Tokens from the environment this time.
  std::unique_ptr<TestCluster> cluster;
  {
    ScopedEnv env({{"BATON_WORKER_TOKEN", TestPki().Read("worker.token")},
                   {"BATON_OPERATOR_TOKEN", TestPki().Read("operator.token")}});
    cluster = std::make_unique<TestCluster>("mtls", options);
  }
  const std::string& address = cluster->address();
  const Pki& pki = TestPki();

  rpc::ClientSecurity no_cert = Tls("ca.pem", "operator.token");
  EXPECT_EQ(ListWorkers(Open(address, no_cert)).error_code(), grpc::StatusCode::UNAVAILABLE);
  rpc::ClientSecurity foreign_cert = no_cert;
  foreign_cert.cert_file = pki.Path("other-client.pem");
  foreign_cert.key_file = pki.Path("other-client.key");
  EXPECT_EQ(ListWorkers(Open(address, foreign_cert)).error_code(), grpc::StatusCode::UNAVAILABLE);
  rpc::ClientSecurity good = no_cert;
  good.cert_file = pki.Path("client.pem");
  good.key_file = pki.Path("client.key");
  EXPECT_TRUE(ListWorkers(Open(address, good)).ok());
  good.token_file = pki.Path("worker.token");
  EXPECT_EQ(ListWorkers(Open(address, good)).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Happy path: the worker and the CLI with certificates; the CLI is given
  // a dead address first, so the list is checked against the server name.
  cluster->StartWorker(ClientArgs("worker.token", /*client_cert=*/true));
  const std::string list = absl::StrCat(DeadAddress(), ",", address);
  RunFlowWithCli(list,
                 Concat(ClientArgs("operator.token", true), {"--tls-server-name", "localhost"}),
                 cluster->WriteFile("secure.yaml", kFlow));
  EXPECT_THAT(cluster->orchestrator().Log(),
              HasSubstr("(TLS, client certificates required, bearer tokens)"));
  ExpectNoSecrets("orchestrator log", cluster->orchestrator().Log());
}

// Exit code and output of `argv`, run to its end (bounded).
std::pair<int, std::string> Outcome(std::vector<std::string> argv) {
  auto result = RunBounded(std::move(argv), TestTempDir());
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {-1, ""};
  return {result->exit_code, result->stdout_tail + result->stderr_tail};
}

TEST(Security, BadSecuritySettingsStopEachBinaryAtStart) {
  auto orchestrator = Outcome(Concat(
      {OrchestratorBinary(), "--database-url", "postgresql:///unused", "--listen", "127.0.0.1:0"},
      TokenFileArgs()));
  EXPECT_EQ(orchestrator.first, 1);
  EXPECT_THAT(orchestrator.second, HasSubstr("bearer tokens need TLS"));

  auto worker =
      Outcome({WorkerBinary(), "--orchestrator", "127.0.0.1:1", "--tls-ca", "/no/ca.pem"});
  EXPECT_EQ(worker.first, 1);
  EXPECT_THAT(worker.second, HasSubstr("--tls-ca: cannot read \"/no/ca.pem\""));
  EXPECT_THAT(worker.second, Not(HasSubstr("draining")));

  auto cli = Outcome({CliBinary(), "--address", "orch-a:7233,orch-b:7233", "worker", "list"});
  EXPECT_EQ(cli.first, 1);
  EXPECT_THAT(cli.second, HasSubstr("use one DNS name"));

  auto plaintext_token = Outcome({CliBinary(), "--address", "127.0.0.1:1", "--token-file",
                                  TestPki().Path("operator.token"), "worker", "list"});
  EXPECT_EQ(plaintext_token.first, 1);
  EXPECT_THAT(plaintext_token.second, HasSubstr("only sent over TLS"));
  ExpectNoSecrets("CLI", plaintext_token.second);
}

TEST(Certificates, EachBinaryRefusesItsOwnCertificateOutsideItsValidityWindow) {
  const Pki& pki = TestPki();
  const std::vector<std::string> orchestrator = {OrchestratorBinary(), "--database-url",
                                                 "postgresql:///unused", "--listen", "127.0.0.1:0"};
  const std::pair<std::string, std::string> cases[] = {
      {"expired-server",
       "the certificate (CN=expired-server) expired on 2020-12-31T00:00:00Z (valid from "
       "2020-01-01T00:00:00Z to 2020-12-31T00:00:00Z)"},
      {"future-server",
       "the certificate (CN=future-server) is not yet valid (valid from 2099-01-01T00:00:00Z to "
       "2099-12-31T00:00:00Z)"},
  };
  for (const auto& [name, problem] : cases) {
    auto refused = Outcome(Concat(orchestrator, {"--tls-cert", pki.Path(name + ".pem"), "--tls-key",
                                                 pki.Path(name + ".key")}));
    EXPECT_EQ(refused.first, 1) << name;
    EXPECT_THAT(refused.second,
                HasSubstr(absl::StrCat("--tls-cert \"", pki.Path(name + ".pem"), "\": ", problem)));
  }

  // Clients check their own certificate for mutual TLS the same way.
  const std::vector<std::string> client_cert = {"--tls-ca",   pki.Path("ca.pem"),
                                                "--tls-cert", pki.Path("expired-client.pem"),
                                                "--tls-key",  pki.Path("expired-client.key")};
  auto worker = Outcome(Concat({WorkerBinary(), "--orchestrator", "127.0.0.1:1"}, client_cert));
  EXPECT_EQ(worker.first, 1);
  EXPECT_THAT(worker.second, HasSubstr("(CN=expired-client) expired on 2020-12-31T00:00:00Z"));
  auto cli = Outcome(
      Concat(Concat({CliBinary(), "--address", "127.0.0.1:1"}, client_cert), {"worker", "list"}));
  EXPECT_EQ(cli.first, 1);
  EXPECT_THAT(cli.second, HasSubstr("(CN=expired-client) expired on 2020-12-31T00:00:00Z"));
}

// `openssl s_server` on 127.0.0.1 with a certificate the orchestrator would
// refuse to start with: what a client meets when a certificate lapses. With
// -www it serves connection after connection and never reads its stdin.
class TlsServer {
 public:
  // `extra`: more s_server flags, e.g. to require a client certificate.
  TlsServer(const std::string& name, const std::vector<std::string>& extra)
      : process_(
            Concat({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-alpn", "h2", "-www",
                    "-cert", TestPki().Path(name + ".pem"), "-key", TestPki().Path(name + ".key")},
                   extra),
            absl::StrCat(TestTempDir(), "/s_server-", name, extra.size(), ".log")) {}

  // 127.0.0.1:port once it listens; "" if it does not within 10 s.
  std::string Address() {
    std::string address;
    WaitUntil(absl::Seconds(10), [&] {
      const std::string log = process_.Log();
      const size_t at = log.find("ACCEPT 127.0.0.1:");
      if (at == std::string::npos || log.find('\n', at) == std::string::npos) return false;
      address = log.substr(at + 7, log.find('\n', at) - at - 7);
      return true;
    });
    return address;
  }

 private:
  ChildProcess process_;
};

TEST(Certificates, ClientsSayPlainlyWhyTheHandshakeFailed) {
  const Pki& pki = TestPki();
  // A real orchestrator whose certificate is for another name.
  ClusterOptions options;
  options.extra_orchestrator_args = {"--tls-cert", pki.Path("wrong-name-server.pem"), "--tls-key",
                                     pki.Path("wrong-name-server.key")};
  TestCluster cluster("wrong-name", options);
  CliResult wrong_name =
      TestCluster::CliAt(cluster.address(), {"--tls-ca", pki.Path("ca.pem"), "worker", "list"});
  EXPECT_EQ(wrong_name.exit_code, 1);
  EXPECT_THAT(wrong_name.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(wrong_name.err,
              HasSubstr(absl::StrCat("TLS handshake with ", cluster.address(),
                                     ": the orchestrator's certificate (CN=wrong-name-server) "
                                     "does not match the name \"127.0.0.1\": it is for "
                                     "DNS:other.example")));

  struct Case {
    std::string server_cert;
    std::string client_ca;
    std::string explanation;
    std::vector<std::string> server_flags;
  };
  const std::vector<Case> cases = {
      {"expired-server", "ca",
       "the orchestrator's certificate (CN=expired-server) expired on 2020-12-31T00:00:00Z (valid "
       "from 2020-01-01T00:00:00Z to 2020-12-31T00:00:00Z)"},
      {"future-server", "ca",
       "the orchestrator's certificate (CN=future-server) is not yet valid (valid from "
       "2099-01-01T00:00:00Z to 2099-12-31T00:00:00Z)"},
      {"server", "other-ca",
       "the orchestrator's certificate (CN=server) is signed by an unknown CA (CN=ca): "
       "not one --tls-ca trusts"},
      // Mutual TLS, and the client has no certificate to show.
      {"server",
       "ca",
       "the orchestrator refused the connection: tlsv13 alert certificate required",
       {"-Verify", "1", "-CAfile", pki.Path("ca.pem")}},
  };
  for (const Case& c : cases) {
    TlsServer server(c.server_cert, c.server_flags);
    const std::string address = server.Address();
    ASSERT_FALSE(address.empty()) << c.server_cert;
    CliResult cli =
        TestCluster::CliAt(address, {"--tls-ca", pki.Path(c.client_ca + ".pem"), "worker", "list"});
    EXPECT_EQ(cli.exit_code, 1);
    EXPECT_THAT(cli.err,
                HasSubstr(absl::StrCat("TLS handshake with ", address, ": ", c.explanation)));
  }
}

TEST(Failover, WorkerAndCliCarryOnWhenOneOfTheirOrchestratorsDies) {
  TestCluster cluster("failover");
  // A second replica, listed first, that this test kills.
  const std::string ready = cluster.dir() + "/second.addr";
  ChildProcess second({OrchestratorBinary(), "--database-url", cluster.database_url(), "--listen",
                       "127.0.0.1:0", "--ready-file", ready, "--max-poll-wait", "2s"},
                      cluster.dir() + "/second.log");
  ASSERT_TRUE(WaitUntil(absl::Seconds(30), [&] { return std::filesystem::exists(ready); }))
      << second.Log();
  std::string second_address;
  std::getline(std::ifstream(ready), second_address);
  // Dead from the start, then the replica that dies, then the one that stays.
  const std::string dead = DeadAddress();
  const std::string list = absl::StrCat(dead, ",", second_address, ",", cluster.address());
  ChildProcess worker({WorkerBinary(), "--orchestrator", dead, "--orchestrator",
                       absl::StrCat(second_address, ",", cluster.address()), "--poll-wait", "2s"},
                      cluster.dir() + "/listed-worker.log");
  const std::string flow = cluster.WriteFile("secure.yaml", kFlow);
  RunFlowWithCli(list, {}, flow);

  second.Signal(SIGKILL);
  ASSERT_TRUE(second.WaitExit(absl::Seconds(10)));
  RunFlowWithCli(list, {}, flow);
  EXPECT_TRUE(worker.running()) << worker.Log();
}

}  // namespace
}  // namespace baton::testing
