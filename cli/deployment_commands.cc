#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/inputs.h"
#include "common/base/cli_flags.h"
#include "common/base/json_util.h"
#include "common/base/limits.h"
#include "common/rpc/grpc_status.h"
#include "nlohmann/json.hpp"

namespace baton::cli {
namespace {

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string Local(const v1::Fire& fire) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(fire.timezone(), &zone)) zone = absl::UTCTimeZone();
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M %Ez", TimeOf(fire.at()), zone), " ",
                      fire.timezone());
}

std::string Utc(const v1::Fire& fire) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", TimeOf(fire.at()), absl::UTCTimeZone());
}

std::string ScheduleText(const v1::Schedule& s) {
  if (!s.cron().empty()) return absl::StrCat(s.cron(), " (", s.timezone(), ")");
  return absl::StrCat("every ", FormatDuration(s.interval(), true));
}

std::string Schedules(const v1::Deployment& d) {
  std::vector<std::string> parts;
  for (const auto& s : d.schedules()) parts.push_back(ScheduleText(s));
  return parts.empty() ? "-" : absl::StrJoin(parts, "; ");
}

void PrintDeployment(const v1::Deployment& d) {
  std::cout << "deployment " << d.name() << "  flow " << d.flow_name()
            << (d.flow_version() ? absl::StrCat(" v", d.flow_version()) : " (latest)")
            << (d.paused() ? "  PAUSED" : "") << "\n"
            << "  schedules " << Schedules(d) << "\n"
            << "  parameters " << d.parameters_json() << "\n";
  std::vector<std::string> env;
  for (const auto& [k, v] : d.env()) env.push_back(k + "=" + v);
  std::sort(env.begin(), env.end());
  std::cout << "  env " << (env.empty() ? "-" : absl::StrJoin(env, " ")) << "\n"
            << "  tags " << (d.tags().empty() ? "-" : absl::StrJoin(d.tags(), ",")) << "\n"
            << "  work queue " << (d.work_queue().empty() ? "-" : d.work_queue()) << "  catch-up "
            << d.catch_up() << "  overlap " << d.overlap() << "  late after "
            << FormatDuration(d.late_after(), d.has_late_after()) << "\n";
  std::vector<std::vector<std::string>> rows = {{"NEXT (LOCAL)", "NEXT (UTC)"}};
  for (const auto& f : d.next_fires()) rows.push_back({Local(f), Utc(f)});
  if (rows.size() > 1) std::cout << "\n" << FormatTable(rows);
  if (d.recent_skips().empty()) return;
  std::cout << "\nskipped fires\n";
  for (const auto& s : d.recent_skips()) {
    std::cout << "  " << FormatTime(s.scheduled_time(), true) << "  " << s.reason() << "\n";
  }
}

template <typename Response>
int Finish(const CliContext& cli, const std::string& what, const grpc::Status& s,
           const Response& response, const std::function<void()>& table) {
  if (!s.ok()) return cli.Fail(what, rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(response) << "\n";
  } else {
    table();
  }
  return kExitOk;
}

int Apply(const Globals& g, const std::string& file) {
  CliContext cli(g);
  auto content = ReadInputFile(file, kMaxDeploymentFileBytes);
  if (!content.ok()) return cli.Fail("deployment apply", content.status());
  v1::ApplyDeploymentRequest request;
  request.set_source_name(SourceName(file));
  request.set_content(*std::move(content));
  v1::ApplyDeploymentResponse response;
  grpc::Status s = cli.deployments().ApplyDeployment(cli.Call().get(), request, &response);
  return Finish(cli, "deployment apply", s, response, [&] {
    std::cout << "deployment " << response.deployment().name()
              << (response.created() ? " created" : " updated") << "\n";
    PrintDeployment(response.deployment());
  });
}

int List(const Globals& g) {
  CliContext cli(g);
  v1::ListDeploymentsResponse response;
  grpc::Status s =
      cli.deployments().ListDeployments(cli.Call().get(), v1::ListDeploymentsRequest(), &response);
  return Finish(cli, "deployment list", s, response, [&] {
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "FLOW", "SCHEDULES", "PAUSED", "TAGS", "NEXT (LOCAL)", "NEXT (UTC)"}};
    for (const auto& d : response.deployments()) {
      const bool has_next = !d.next_fires().empty();
      rows.push_back({d.name(), d.flow_name(), Schedules(d), d.paused() ? "yes" : "no",
                      absl::StrJoin(d.tags(), ","), has_next ? Local(d.next_fires(0)) : "-",
                      has_next ? Utc(d.next_fires(0)) : "-"});
    }
    std::cout << FormatTable(rows);
  });
}

int Get(const Globals& g, const std::string& name, int count) {
  CliContext cli(g);
  v1::GetDeploymentRequest request;
  request.set_name(name);
  request.set_next_fires(count);
  v1::Deployment response;
  grpc::Status s = cli.deployments().GetDeployment(cli.Call().get(), request, &response);
  return Finish(cli, "deployment get", s, response, [&] { PrintDeployment(response); });
}

int SetPaused(const Globals& g, const std::string& name, bool paused) {
  CliContext cli(g);
  v1::Deployment response;
  grpc::Status s;
  if (paused) {
    v1::PauseDeploymentRequest request;
    request.set_name(name);
    s = cli.deployments().PauseDeployment(cli.Call().get(), request, &response);
  } else {
    v1::ResumeDeploymentRequest request;
    request.set_name(name);
    s = cli.deployments().ResumeDeployment(cli.Call().get(), request, &response);
  }
  return Finish(cli, paused ? "deployment pause" : "deployment resume", s, response, [&] {
    std::cout << "deployment " << name << (paused ? " paused" : " resumed") << "\n";
  });
}

int Run(const Globals& g, const std::string& name, const std::vector<std::string>& params) {
  CliContext cli(g);
  nlohmann::json given = nlohmann::json::object();
  if (absl::Status s = AddParamFlags(params, &given); !s.ok()) {
    return cli.Fail("deployment run", s);
  }
  auto parameters = DumpJson(given, "the run's parameters");
  if (!parameters.ok()) return cli.Fail("deployment run", parameters.status());
  v1::RunDeploymentRequest request;
  request.set_name(name);
  request.set_parameters_json(*std::move(parameters));
  v1::StartRunResponse response;
  grpc::Status s = cli.deployments().RunDeployment(cli.Call().get(), request, &response);
  return Finish(cli, "deployment run", s, response,
                [&] { std::cout << "run " << response.run().id() << " started\n"; });
}

int Delete(const Globals& g, const std::string& name) {
  CliContext cli(g);
  v1::DeleteDeploymentRequest request;
  request.set_name(name);
  v1::DeleteDeploymentResponse response;
  grpc::Status s = cli.deployments().DeleteDeployment(cli.Call().get(), request, &response);
  return Finish(cli, "deployment delete", s, response,
                [&] { std::cout << "deployment " << name << " deleted\n"; });
}

}  // namespace

void AddDeploymentCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* d =
      app.add_subcommand("deployment", "deployments: flows on schedules")->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* apply = d->add_subcommand("apply", "validate and store a deployment file");
  apply->add_option("-f,--file", *file, "deployment file (YAML or JSON)")->required();
  apply->callback([&globals, file, exit_code] { *exit_code = Apply(globals, *file); });

  d->add_subcommand("list", "every deployment with its next fire time")
      ->callback([&globals, exit_code] { *exit_code = List(globals); });

  auto name = std::make_shared<std::string>();
  auto count = std::make_shared<int>(5);
  CLI::App* get = d->add_subcommand("get", "one deployment, its next fire times and skips");
  get->add_option("name", *name, "deployment name")->required();
  get->add_option("--count", *count, "next fire times to show")->check(CLI::Range(1, 100));
  get->callback([&globals, name, count, exit_code] { *exit_code = Get(globals, *name, *count); });

  for (bool paused : {true, false}) {
    CLI::App* sub = d->add_subcommand(paused ? "pause" : "resume",
                                      paused ? "stop scheduling" : "schedule again from now");
    sub->add_option("name", *name, "deployment name")->required();
    sub->callback(
        [&globals, name, paused, exit_code] { *exit_code = SetPaused(globals, *name, paused); });
  }

  auto params = std::make_shared<std::vector<std::string>>();
  CLI::App* run = d->add_subcommand("run", "start one run now");
  run->add_option("name", *name, "deployment name")->required();
  run->add_option("-p,--param", *params, "parameter key=value (value: JSON or text)");
  run->callback([&globals, name, params, exit_code] { *exit_code = Run(globals, *name, *params); });

  CLI::App* del = d->add_subcommand("delete", "delete a deployment (started runs are kept)");
  del->add_option("name", *name, "deployment name")->required();
  del->callback([&globals, name, exit_code] { *exit_code = Delete(globals, *name); });
}

}  // namespace baton::cli
