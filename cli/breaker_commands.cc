#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "common/rpc/grpc_status.h"

namespace baton::cli {
namespace {

std::vector<std::string> Row(const v1::Breaker& b) {
  return {b.key(),
          b.state(),
          absl::StrCat(b.failures(), "/", b.failure_threshold()),
          FormatDuration(b.window(), b.has_window()),
          FormatDuration(b.cooldown(), b.has_cooldown()),
          FormatTime(b.open_until(), b.has_open_until()),
          b.probe_task_run_id() == 0 ? "-" : std::to_string(b.probe_task_run_id()),
          FormatTime(b.updated_at(), b.has_updated_at())};
}

const std::vector<std::string> kHeader = {"KEY",      "STATE",      "FAILURES", "WINDOW",
                                          "COOLDOWN", "OPEN UNTIL", "PROBE",    "UPDATED"};

int List(const Globals& g) {
  CliContext cli(g);
  v1::ListBreakersResponse response;
  grpc::Status s =
      cli.breakers().ListBreakers(cli.Call().get(), v1::ListBreakersRequest(), &response);
  if (!s.ok()) return cli.Fail("breaker list", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(response) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {kHeader};
  for (const auto& b : response.breakers()) rows.push_back(Row(b));
  std::cout << FormatTable(rows);
  return kExitOk;
}

int Reset(const Globals& g, const std::string& key) {
  CliContext cli(g);
  v1::ResetBreakerRequest request;
  request.set_key(key);
  v1::Breaker breaker;
  grpc::Status s = cli.breakers().ResetBreaker(cli.Call().get(), request, &breaker);
  if (!s.ok()) return cli.Fail("breaker reset", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(breaker) << "\n";
  } else {
    std::cout << "circuit breaker " << breaker.key() << " reset: " << breaker.state() << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddBreakerCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* breaker = app.add_subcommand("breaker", "circuit breakers")->require_subcommand(1);
  breaker->add_subcommand("list", "every circuit breaker with its state")
      ->callback([&globals, exit_code] { *exit_code = List(globals); });
  auto key = std::make_shared<std::string>();
  CLI::App* reset = breaker->add_subcommand("reset", "close a breaker and clear its failures");
  reset->add_option("key", *key, "breaker key")->required();
  reset->callback([&globals, key, exit_code] { *exit_code = Reset(globals, *key); });
}

}  // namespace baton::cli
