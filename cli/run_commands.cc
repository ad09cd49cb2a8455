#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/inputs.h"
#include "cli/report.h"
#include "common/base/cli_flags.h"
#include "common/base/json_util.h"
#include "common/base/limits.h"
#include "common/base/utf8.h"
#include "common/rpc/grpc_status.h"
#include "nlohmann/json.hpp"

namespace baton::cli {
namespace {

struct StartArgs {
  std::string flow;
  int version = 0;
  std::vector<std::string> params;  // k=v; v is JSON when it parses, else a string
  std::string params_json;
  std::string idempotency_key;
  std::string correlation_id;
  bool wait = false;
  bool watch = false;
  absl::Duration wait_timeout = absl::Minutes(10);
};

struct WatchArgs {
  std::string id;
  absl::Duration wait_timeout = absl::Minutes(10);
};

struct LogsArgs {
  std::string id;
  std::string task;
  bool follow = false;
  absl::Duration wait_timeout = absl::Minutes(10);
};

struct ListArgs {
  std::string flow;
  std::string state;
  std::string deployment;
  std::string since;  // a duration ago or an RFC 3339 time; empty: unbounded
  std::string until;
  int limit = 50;
};

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

bool IsTerminal(v1::FlowRunState s) {
  return s == v1::FLOW_RUN_STATE_COMPLETED || s == v1::FLOW_RUN_STATE_FAILED ||
         s == v1::FLOW_RUN_STATE_CANCELLED || s == v1::FLOW_RUN_STATE_TIMED_OUT;
}

// --params-json with every -p over it, serialized.
absl::StatusOr<std::string> BuildParameters(const StartArgs& args) {
  if (absl::Status s = CheckUtf8("--params-json", args.params_json); !s.ok()) return s;
  auto params = ParseJsonObject(args.params_json, "--params-json", kMaxParametersBytes);
  if (!params.ok()) return params.status();
  if (absl::Status s = AddParamFlags(args.params, &*params); !s.ok()) return s;
  return DumpJson(*params, "the run's parameters");
}

std::string ResultOrError(const std::string& result_json, const std::string& error) {
  return error.empty() ? Shorten(result_json, 60) : Shorten("error: " + error, 60);
}

// Every attempt of tasks that needed more than one, or that ended badly.
void PrintAttempts(const v1::Run& run) {
  std::vector<std::vector<std::string>> rows = {
      {"TASK", "ATTEMPT", "STATE", "WORKER", "ENDED", "NEXT", "ERROR"}};
  for (const auto& t : run.tasks()) {
    const bool interesting =
        t.attempts_size() > 1 ||
        (t.attempts_size() == 1 && t.attempts(0).state() != v1::ATTEMPT_STATE_SUCCEEDED);
    if (!interesting) continue;
    for (const auto& a : t.attempts()) {
      std::string next = a.decision();
      if (a.has_retry_delay()) {
        next = absl::StrCat("retry in ", FormatDuration(a.retry_delay(), true), " (base ",
                            FormatDuration(a.retry_base_delay(), true), ", jitter sample ",
                            absl::StrFormat("%.3f", a.jitter_sample()), ")");
      }
      rows.push_back({t.name(), std::to_string(a.number()), StateName(a.state()),
                      a.worker_name().empty() ? "-" : a.worker_name(),
                      FormatTime(a.ended_at(), a.has_ended_at()), Shorten(next, 60),
                      Shorten(a.error(), 60)});
    }
  }
  if (rows.size() > 1) std::cout << "\nattempts\n" << FormatTable(rows);
}

// Fallbacks, circuit breakers and cancellations: which path ran and why;
// and what a READY task is waiting for.
void PrintNotes(const v1::Run& run) {
  std::vector<std::string> notes;
  for (const auto& t : run.tasks()) {
    if (!t.resolution().empty()) notes.push_back(absl::StrCat(t.name(), ": ", t.resolution()));
    if (!t.waiting_for().empty()) {
      notes.push_back(absl::StrCat(t.name(), ": waiting: ", t.waiting_for()));
    }
  }
  for (const auto& h : run.history()) {
    if (h.entity() != "breaker") continue;
    notes.push_back(
        absl::StrCat(FormatTime(h.at(), h.has_at()), " circuit breaker ", h.breaker_key(), " ",
                     h.from_state(), h.from_state() == h.to_state() ? "" : " -> ",
                     h.from_state() == h.to_state() ? "" : h.to_state(), ": ", h.reason()));
  }
  if (notes.empty()) return;
  std::cout << "\nnotes\n";
  for (const auto& n : notes) std::cout << "  " << n << "\n";
}

void PrintRun(const v1::Run& run) {
  std::cout << "run " << run.id() << "  flow " << run.flow_name() << " v" << run.flow_version()
            << "  " << StateName(run.state()) << "\n"
            << "  created " << FormatTime(run.created_at(), run.has_created_at()) << "  started "
            << FormatTime(run.started_at(), run.has_started_at()) << "  ended "
            << FormatTime(run.ended_at(), run.has_ended_at()) << "  duration "
            << FormatDuration(run.duration(), run.has_duration()) << "\n"
            << "  parameters " << run.parameters_json() << "\n"
            << "  correlation id " << run.correlation_id() << "\n";
  if (!run.idempotency_key().empty())
    std::cout << "  idempotency key " << run.idempotency_key() << "\n";
  if (!run.result_json().empty()) std::cout << "  result " << run.result_json() << "\n";
  if (!run.error().empty()) std::cout << "  error " << run.error() << "\n";
  if (!run.cancel_reason().empty()) std::cout << "  cancel reason " << run.cancel_reason() << "\n";
  if (run.tasks().empty()) return;
  std::vector<std::vector<std::string>> rows = {
      {"TASK", "STATE", "ATTEMPTS", "DURATION", "WORKER", "RESULT"}};
  for (const auto& t : run.tasks()) {
    const std::string worker = t.attempts().empty() ? "-" : t.attempts().rbegin()->worker_name();
    rows.push_back({t.name(), StateName(t.state()), std::to_string(t.attempt_count()),
                    FormatDuration(t.duration(), t.has_duration()), worker,
                    ResultOrError(t.result_json(), t.error())});
  }
  std::cout << "\n" << FormatTable(rows);
  PrintAttempts(run);
  PrintNotes(run);
}

void Print(const CliContext& cli, const v1::Run& run) {
  switch (cli.output()) {
    case Output::kJson:
      std::cout << ToJson(run) << "\n";
      return;
    case Output::kCsv:
      std::cout << RunTasksCsv(run);
      return;
    case Output::kMarkdown:
      std::cout << RunMarkdown(run);
      return;
    case Output::kTable:
      PrintRun(run);
      return;
  }
}

absl::StatusOr<v1::Run> GetRun(CliContext& cli, const std::string& id) {
  v1::GetRunRequest request;
  request.set_run_id(id);
  v1::Run run;
  grpc::Status s = cli.runs().GetRun(cli.Call().get(), request, &run);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return run;
}

// Polls the run until it ends or `timeout` passes.
absl::StatusOr<v1::Run> WaitForEnd(CliContext& cli, const std::string& id, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration interval = absl::Milliseconds(100);
  while (true) {
    auto run = GetRun(cli, id);
    if (!run.ok() || IsTerminal(run->state())) return run;
    if (absl::Now() + interval > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("run ", id, " still ",
                                                      StateName(run->state()), " after ",
                                                      absl::FormatDuration(timeout)));
    }
    absl::SleepFor(interval);
    interval = std::min(interval * 2, absl::Seconds(1));
  }
}

// One line per state change: time, entity, task/attempt, from -> to, reason.
std::string TransitionLine(const v1::Transition& t) {
  std::string subject = t.entity() == "breaker" ? t.breaker_key() : t.task_name();
  if (t.attempt() > 0) absl::StrAppend(&subject, " #", t.attempt());
  if (subject.empty()) subject = "-";
  return absl::StrCat(FormatTime(t.at(), t.has_at()), "  ", t.entity(), "  ", subject, "  ",
                      t.from_state().empty() ? "-" : t.from_state(), " -> ", t.to_state(),
                      t.reason().empty() ? "" : "  ", t.reason());
}

std::string JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// Follows the run over WatchRun, printing each event, until it ends; the
// finished run, or the stream's error (DEADLINE_EXCEEDED after `timeout`).
absl::StatusOr<v1::Run> Watch(CliContext& cli, const std::string& id, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::WatchRunRequest request;
  request.set_run_id(id);
  std::unique_ptr<grpc::ClientReader<v1::RunEvent>> reader = cli.runs().WatchRun(&context, request);
  v1::RunEvent event;
  std::optional<v1::Run> finished;
  while (reader->Read(&event)) {
    if (cli.output() == Output::kJson) {
      std::cout << JsonLine(event) << std::endl;
    } else if (event.has_transition()) {
      std::cout << TransitionLine(event.transition()) << std::endl;
    }
    if (event.has_run()) finished = event.run();
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  if (!finished) {
    return absl::InternalError(absl::StrCat("the watch of run ", id, " ended without the run"));
  }
  return *finished;
}

// Watches the run, then prints it as `run get` does; the exit code of --wait.
int WatchAndPrint(CliContext& cli, const std::string& what, const std::string& id,
                  absl::Duration timeout) {
  auto run = Watch(cli, id, timeout);
  if (!run.ok()) return cli.Fail(what, run.status());
  if (cli.output() != Output::kJson) {
    if (cli.output() == Output::kTable) std::cout << "\n";
    Print(cli, *run);
  }
  return run->state() == v1::FLOW_RUN_STATE_COMPLETED ? kExitOk : kExitRunFailed;
}

// Prints the run's log lines as they stream in, in the chosen output.
int Logs(const Globals& g, const LogsArgs& args) {
  CliContext cli(g);
  grpc::ClientContext context;
  const absl::Duration timeout = args.follow ? args.wait_timeout : g.timeout;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::StreamRunLogsRequest request;
  request.set_run_id(args.id);
  request.set_task_name(args.task);
  request.set_follow(args.follow);
  std::unique_ptr<grpc::ClientReader<v1::RunLogEntry>> reader =
      cli.runs().StreamRunLogs(&context, request);
  if (cli.output() == Output::kCsv) std::cout << FormatCsv({RunLogHeader()});
  if (cli.output() == Output::kMarkdown) std::cout << FormatMarkdownTable({RunLogHeader()});
  v1::RunLogEntry entry;
  while (reader->Read(&entry)) {
    switch (cli.output()) {
      case Output::kJson:
        std::cout << JsonLine(entry) << "\n";
        break;
      case Output::kCsv:
        std::cout << FormatCsv({RunLogRow(entry)});
        break;
      case Output::kMarkdown:
        std::cout << MarkdownRow(RunLogRow(entry));
        break;
      case Output::kTable:
        std::cout << RunLogText(entry) << "\n";
        break;
    }
    if (args.follow) std::cout.flush();
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return cli.Fail("run logs", rpc::FromGrpcStatus(s));
  return kExitOk;
}

int WatchCommand(const Globals& g, const WatchArgs& args) {
  CliContext cli(g);
  return WatchAndPrint(cli, "run watch", args.id, args.wait_timeout);
}

int Start(const Globals& g, const StartArgs& args) {
  CliContext cli(g);
  auto params = BuildParameters(args);
  if (!params.ok()) return cli.Fail("run start", params.status());
  v1::StartRunRequest request;
  request.set_flow_name(args.flow);
  request.set_flow_version(args.version);
  request.set_parameters_json(*std::move(params));
  request.set_idempotency_key(args.idempotency_key);
  request.set_correlation_id(args.correlation_id);
  v1::StartRunResponse response;
  grpc::Status s = cli.runs().StartRun(cli.Call().get(), request, &response);
  if (!s.ok()) return cli.Fail("run start", rpc::FromGrpcStatus(s));
  if (args.watch) {
    if (cli.output() != Output::kJson) {
      std::cout << "run " << response.run().id() << (response.created() ? " started" : " exists")
                << std::endl;
    }
    return WatchAndPrint(cli, "run start --watch", response.run().id(), args.wait_timeout);
  }
  if (!args.wait) {
    if (cli.output() == Output::kJson) {
      std::cout << ToJson(response) << "\n";
    } else {
      std::cout << "run " << response.run().id()
                << (response.created() ? " started" : " exists (same idempotency key)") << "\n";
    }
    return kExitOk;
  }
  auto run = WaitForEnd(cli, response.run().id(), args.wait_timeout);
  if (!run.ok()) return cli.Fail("run start --wait", run.status());
  Print(cli, *run);
  return run->state() == v1::FLOW_RUN_STATE_COMPLETED ? kExitOk : kExitRunFailed;
}

int Get(const Globals& g, const std::string& id) {
  CliContext cli(g);
  auto run = GetRun(cli, id);
  if (!run.ok()) return cli.Fail("run get", run.status());
  Print(cli, *run);
  return kExitOk;
}

int Cancel(const Globals& g, const std::string& id, const std::string& reason) {
  CliContext cli(g);
  v1::CancelRunRequest request;
  request.set_run_id(id);
  request.set_reason(reason);
  v1::Run run;
  grpc::Status s = cli.runs().CancelRun(cli.Call().get(), request, &run);
  if (!s.ok()) return cli.Fail("run cancel", rpc::FromGrpcStatus(s));
  if (cli.output() == Output::kJson) {
    std::cout << ToJson(run) << "\n";
  } else {
    std::cout << "run " << run.id() << " " << StateName(run.state()) << "\n";
  }
  return kExitOk;
}

// Sets the filters of `run list` on `request`; INVALID_ARGUMENT for a bad one.
absl::Status BuildListRequest(const ListArgs& args, v1::ListRunsRequest* request) {
  request->set_flow_name(args.flow);
  request->set_limit(args.limit);
  request->set_deployment_id(args.deployment);
  if (!args.state.empty()) {
    v1::FlowRunState parsed;
    if (!v1::FlowRunState_Parse("FLOW_RUN_STATE_" + args.state, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state \"", args.state,
                       "\": expected one of PENDING, RUNNING, COMPLETED, FAILED, "
                       "CANCELLED, TIMED_OUT, SCHEDULED"));
    }
    request->set_state(parsed);
  }
  const absl::Time now = absl::Now();
  if (!args.since.empty()) {
    auto since = ParseTimeBound("--since", args.since, now);
    if (!since.ok()) return since.status();
    *request->mutable_created_after() = ToTimestamp(*since);
  }
  if (!args.until.empty()) {
    auto until = ParseTimeBound("--until", args.until, now);
    if (!until.ok()) return until.status();
    *request->mutable_created_before() = ToTimestamp(*until);
  }
  return absl::OkStatus();
}

void PrintRunTable(const v1::ListRunsResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "FLOW", "VERSION", "STATE", "CREATED", "DURATION"}};
  for (const auto& r : response.runs()) {
    rows.push_back({r.id(), r.flow_name(), std::to_string(r.flow_version()), StateName(r.state()),
                    FormatTime(r.created_at(), r.has_created_at()),
                    FormatDuration(r.duration(), r.has_duration())});
  }
  std::cout << FormatTable(rows);
}

int List(const Globals& g, const ListArgs& args) {
  CliContext cli(g);
  v1::ListRunsRequest request;
  if (auto s = BuildListRequest(args, &request); !s.ok()) return cli.Fail("run list", s);
  v1::ListRunsResponse response;
  grpc::Status s = cli.runs().ListRuns(cli.Call().get(), request, &response);
  if (!s.ok()) return cli.Fail("run list", rpc::FromGrpcStatus(s));
  switch (cli.output()) {
    case Output::kJson:
      std::cout << ToJson(response) << "\n";
      break;
    case Output::kCsv:
      std::cout << RunListCsv(response);
      break;
    case Output::kMarkdown:
      std::cout << RunListMarkdown(response);
      break;
    case Output::kTable:
      PrintRunTable(response);
      break;
  }
  return kExitOk;
}

}  // namespace

void AddRunCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* run = app.add_subcommand("run", "flow runs")->require_subcommand(1);

  auto args = std::make_shared<StartArgs>();
  CLI::App* start = run->add_subcommand("start", "start a run of a flow");
  start->add_option("flow", args->flow, "flow name")->required();
  start->add_option("--version", args->version, "flow version (default: latest)");
  start->add_option("-p,--param", args->params, "parameter key=value (value: JSON or text)");
  start->add_option("--params-json", args->params_json, "all parameters as a JSON object");
  start->add_option("--idempotency-key", args->idempotency_key,
                    "the same key returns the same run");
  start->add_option("--correlation-id", args->correlation_id,
                    "id for tracing this run downstream (default: generated)");
  start->add_flag("--wait", args->wait, "wait for the run to end and print it");
  start->add_flag("--watch", args->watch,
                  "print each state change as it happens, then the run (like `run watch`)");
  AddDurationOption(*start, "--wait-timeout", &args->wait_timeout,
                    "longest --wait or --watch waits");
  start->callback([&globals, args, exit_code] { *exit_code = Start(globals, *args); });

  auto id = std::make_shared<std::string>();
  CLI::App* get = run->add_subcommand("get", "a run with its tasks and attempts");
  get->add_option("id", *id, "run id")->required();
  get->callback([&globals, id, exit_code] { *exit_code = Get(globals, *id); });

  auto watch_args = std::make_shared<WatchArgs>();
  CLI::App* watch = run->add_subcommand("watch", "follow a run's state changes until it ends");
  watch->add_option("id", watch_args->id, "run id")->required();
  AddDurationOption(*watch, "--wait-timeout", &watch_args->wait_timeout, "longest the watch lasts");
  watch->callback(
      [&globals, watch_args, exit_code] { *exit_code = WatchCommand(globals, *watch_args); });

  auto logs_args = std::make_shared<LogsArgs>();
  CLI::App* logs = run->add_subcommand("logs", "the log lines a run's attempts wrote");
  logs->add_option("id", logs_args->id, "run id")->required();
  logs->add_option("--task", logs_args->task, "only this task's lines");
  logs->add_flag("-f,--follow", logs_args->follow, "keep printing new lines until the run ends");
  AddDurationOption(*logs, "--wait-timeout", &logs_args->wait_timeout, "longest --follow lasts");
  logs->callback([&globals, logs_args, exit_code] { *exit_code = Logs(globals, *logs_args); });

  auto cancel_id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  CLI::App* cancel = run->add_subcommand("cancel", "cancel an active run");
  cancel->add_option("id", *cancel_id, "run id")->required();
  cancel->add_option("--reason", *reason, "why (kept with the run)");
  cancel->callback([&globals, cancel_id, reason, exit_code] {
    *exit_code = Cancel(globals, *cancel_id, *reason);
  });

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = run->add_subcommand("list", "recent runs, newest first");
  list->add_option("--flow", list_args->flow, "only runs of this flow");
  list->add_option("--state", list_args->state, "only runs in this state (e.g. FAILED)");
  list->add_option("--deployment", list_args->deployment, "only runs of this deployment (its id)");
  list->add_option("--since", list_args->since,
                   "only runs created at or after this: a duration ago (1h, 7d) or RFC 3339 time");
  list->add_option("--until", list_args->until,
                   "only runs created before this: a duration ago (1h, 7d) or RFC 3339 time");
  list->add_option("--limit", list_args->limit, "at most this many")->check(CLI::Range(1, 1000));
  list->callback([&globals, list_args, exit_code] { *exit_code = List(globals, *list_args); });
}

}  // namespace baton::cli
