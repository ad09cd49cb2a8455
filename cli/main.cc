// baton: the command line client of a Baton orchestrator.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/inputs.h"
#include "common/base/cli_flags.h"
#include "common/rpc/client_flags.h"

namespace {

// Parses the command line and runs the command (commands are callbacks of
// their subcommands); its exit code.
int Run(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"baton: submit and inspect Baton flows and runs"};
  app.require_subcommand(1);
  app.fallthrough();
  baton::cli::Globals globals;
  baton::rpc::AddAddressesOption(app, "--address", globals.connection.addresses);
  baton::rpc::AddClientSecurityOptions(app, globals.connection.security);
  // Before any command runs: nothing is sent unless every value is UTF-8.
  app.parse_complete_callback([&app, &globals] {
    if (absl::Status s = baton::cli::CheckArgumentsAreUtf8(app); !s.ok()) {
      throw CLI::ParseError("baton: " + std::string(s.message()), baton::cli::kExitError);
    }
    if (absl::Status s = baton::cli::OpenGlobalChannel(&globals); !s.ok()) {
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
  // The commands turn every error they foresee into a message and an exit
  // code; anything else is a bug, reported as one line rather than an abort.
  try {
    return Run(app, argc, argv, exit_code);
  } catch (const std::exception& e) {
    std::cerr << "baton: internal error (a bug; please report it): " << e.what() << "\n";
  } catch (...) {
    std::cerr << "baton: internal error (a bug; please report it)\n";
  }
  return baton::cli::kExitError;
}
