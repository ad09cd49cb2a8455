// baton: the command line client of a Baton orchestrator.
#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "common/cli_flags.h"
#include "common/rpc/client_flags.h"

int main(int argc, char** argv) {
  CLI::App app{"baton: submit and inspect Baton flows and runs"};
  app.require_subcommand(1);
  app.fallthrough();
  baton::cli::Globals globals;
  baton::rpc::AddAddressesOption(app, "--address", globals.connection.addresses);
  baton::rpc::AddClientSecurityOptions(app, globals.connection.security);
  // Before any command runs (commands are callbacks of their subcommands).
  app.parse_complete_callback([&globals] {
    absl::Status s = baton::cli::OpenGlobalChannel(&globals);
    if (!s.ok()) {
      throw CLI::ParseError("baton: connection: " + s.ToString(), baton::cli::kExitError);
    }
  });
  app.add_option("-o,--output", globals.output,
                 "table, json, csv (RFC 4180, LF line ends) or markdown (GitHub tables); "
                 "csv and markdown apply to run list and run get, others print a table")
      ->check(CLI::IsMember(baton::cli::OutputNames()))
      ->capture_default_str();
  baton::AddDurationOption(app, "--timeout", &globals.timeout, "deadline of each call");
  int exit_code = baton::cli::kExitOk;
  baton::cli::AddFlowCommands(app, globals, &exit_code);
  baton::cli::AddRunCommands(app, globals, &exit_code);
  baton::cli::AddWorkerCommands(app, globals, &exit_code);
  baton::cli::AddBreakerCommands(app, globals, &exit_code);
  baton::cli::AddDeploymentCommands(app, globals, &exit_code);
  baton::cli::AddScheduleCommands(app, globals, &exit_code);
  baton::cli::AddHealthCommand(app, globals, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
