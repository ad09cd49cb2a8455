#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "common/rpc/grpc_status.h"

namespace baton::cli {
namespace {

std::string WorkerState(v1::WorkerInfo::State s) { return v1::WorkerInfo::State_Name(s); }

int List(const Globals& g, bool all) {
  CliContext cli(g);
  v1::ListWorkersRequest request;
  request.set_include_stopped(all);
  v1::ListWorkersResponse response;
  grpc::Status s = cli.cluster().ListWorkers(cli.Call().get(), request, &response);
  if (!s.ok()) return cli.Fail("worker list", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(response) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"WORKER", "NAME", "STATE", "QUEUES", "SLOTS", "RUNNING", "LAST SEEN"}};
  for (const auto& w : response.workers()) {
    rows.push_back({w.id(), w.name(), WorkerState(w.state()), absl::StrJoin(w.queues(), ","),
                    std::to_string(w.slots()), std::to_string(w.running_attempts()),
                    FormatTime(w.last_seen_at(), w.has_last_seen_at())});
  }
  std::cout << FormatTable(rows);
  return kExitOk;
}

}  // namespace

void AddWorkerCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* worker = app.add_subcommand("worker", "workers")->require_subcommand(1);
  auto all = std::make_shared<bool>(false);
  CLI::App* list = worker->add_subcommand("list", "registered workers");
  list->add_flag("--all", *all, "include stopped workers");
  list->callback([&globals, all, exit_code] { *exit_code = List(globals, *all); });
}

}  // namespace baton::cli
