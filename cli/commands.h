// The `baton` subcommands. Each Add* attaches its subcommands to `app`; the
// callbacks store their exit code in `*exit_code`.
#pragma once

#include "CLI/CLI.hpp"
#include "cli/cli_context.h"

namespace baton::cli {

void AddFlowCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddRunCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddWorkerCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddBreakerCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddDeploymentCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddScheduleCommands(CLI::App& app, const Globals& globals, int* exit_code);
void AddHealthCommand(CLI::App& app, const Globals& globals, int* exit_code);

}  // namespace baton::cli
