#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/inputs.h"
#include "common/base/limits.h"
#include "common/rpc/grpc_status.h"
#include "common/spec/flow.h"

namespace baton::cli {
namespace {

// The flow's definition indented; as it came when it is not JSON.
std::string Indented(const std::string& spec_json) {
  nlohmann::json spec = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) return spec_json;
  return spec.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintFlows(const CliContext& cli, const std::vector<v1::Flow>& flows) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "TASKS", "CREATED", "DESCRIPTION"}};
  for (const auto& f : flows) {
    rows.push_back({f.name(), std::to_string(f.version()), std::to_string(f.task_names_size()),
                    FormatTime(f.created_at(), f.has_created_at()), Shorten(f.description(), 50)});
  }
  (void)cli;
  std::cout << FormatTable(rows);
}

int Apply(const Globals& g, const std::string& file) {
  CliContext cli(g);
  auto content = ReadInputFile(file, kMaxFlowFileBytes);
  if (!content.ok()) return cli.Fail("flow apply", content.status());
  v1::ApplyFlowRequest request;
  request.set_source_name(SourceName(file));
  request.set_content(*std::move(content));
  v1::ApplyFlowResponse response;
  grpc::Status s = cli.flows().ApplyFlow(cli.Call().get(), request, &response);
  if (!s.ok()) return cli.Fail("flow apply", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << "flow " << response.flow().name() << " version " << response.flow().version()
              << (response.created() ? " applied" : " unchanged") << " ("
              << response.flow().task_names_size() << " tasks)\n";
  }
  return kExitOk;
}

int List(const Globals& g) {
  CliContext cli(g);
  v1::ListFlowsResponse response;
  grpc::Status s = cli.flows().ListFlows(cli.Call().get(), v1::ListFlowsRequest(), &response);
  if (!s.ok()) return cli.Fail("flow list", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(response) << "\n";
    return kExitOk;
  }
  PrintFlows(cli, {response.flows().begin(), response.flows().end()});
  return kExitOk;
}

int Get(const Globals& g, const std::string& name, int version) {
  CliContext cli(g);
  v1::GetFlowRequest request;
  request.set_name(name);
  request.set_version(version);
  v1::Flow flow;
  grpc::Status s = cli.flows().GetFlow(cli.Call().get(), request, &flow);
  if (!s.ok()) return cli.Fail("flow get", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(flow) << "\n";
    return kExitOk;
  }
  PrintFlows(cli, {flow});
  std::cout << "\n" << Indented(flow.spec_json()) << "\n";
  return kExitOk;
}

}  // namespace

void AddFlowCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* flow = app.add_subcommand("flow", "flow definitions")->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  CLI::App* apply = flow->add_subcommand("apply", "validate and store a flow file (YAML or JSON)");
  apply->add_option("-f,--file", *file, "flow file")->required();
  apply->callback([&globals, file, exit_code] { *exit_code = Apply(globals, *file); });

  flow->add_subcommand("list", "latest version of every flow")->callback([&globals, exit_code] {
    *exit_code = List(globals);
  });

  auto name = std::make_shared<std::string>();
  auto version = std::make_shared<int>(0);
  CLI::App* get = flow->add_subcommand("get", "one flow version with its definition");
  get->add_option("name", *name, "flow name")->required();
  get->add_option("--version", *version, "version (default: latest)");
  get->callback(
      [&globals, name, version, exit_code] { *exit_code = Get(globals, *name, *version); });
}

}  // namespace baton::cli
