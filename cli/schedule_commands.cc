// `baton schedule preview`: the next fire times of a cron schedule, computed
// locally with the same code the orchestrator uses.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "common/spec/cron.h"

namespace baton::cli {
namespace {

struct PreviewArgs {
  std::string expression;
  std::string timezone = "UTC";
  int count = 10;
  std::string after;  // RFC 3339; empty: now
};

std::string Offset(const absl::TimeZone& zone, absl::Time t) {
  return absl::FormatTime("%Ez", t, zone);
}

int Preview(const Globals& g, const PreviewArgs& args) {
  CliContext cli(g);
  auto spec = cron::ParseCron(args.expression);
  if (!spec.ok()) return cli.Fail("schedule preview", spec.status());
  auto zone = cron::LoadZone(args.timezone);
  if (!zone.ok()) return cli.Fail("schedule preview", zone.status());
  absl::Time after = absl::Now();
  std::string error;
  if (!args.after.empty() && !absl::ParseTime(absl::RFC3339_full, args.after, &after, &error)) {
    return cli.Fail("schedule preview", absl::InvalidArgumentError(absl::StrCat(
                                            "--after \"", args.after, "\": ", error,
                                            "; expected RFC 3339, e.g. 2026-03-28T00:00:00Z")));
  }
  const std::vector<absl::Time> fires = cron::NextFires(*spec, *zone, after, args.count);
  std::vector<std::vector<std::string>> rows = {
      {"#", "LOCAL (" + args.timezone + ")", "UTC", "NOTE"}};
  absl::Time previous = after;
  for (size_t i = 0; i < fires.size(); ++i) {
    const absl::Time t = fires[i];
    std::string note;
    if (cron::OffsetChanged(*zone, previous, t)) {
      note = absl::StrCat("daylight-saving change: UTC", Offset(*zone, previous), " -> UTC",
                          Offset(*zone, t));
    }
    rows.push_back({std::to_string(i + 1), absl::FormatTime("%Y-%m-%d %H:%M %a %Ez", t, *zone),
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()), note});
    previous = t;
  }
  std::cout << FormatTable(rows);
  if (static_cast<int>(fires.size()) < args.count) {
    std::cout << "(no more fire times within " << cron::kMaxSearchYears << " years)\n";
  }
  return kExitOk;
}

}  // namespace

void AddScheduleCommands(CLI::App& app, const Globals& globals, int* exit_code) {
  CLI::App* schedule = app.add_subcommand("schedule", "cron schedules")->require_subcommand(1);
  auto args = std::make_shared<PreviewArgs>();
  CLI::App* preview = schedule->add_subcommand(
      "preview", "next fire times in local time and UTC, marking daylight-saving changes");
  preview->add_option("expression", args->expression, "cron expression, e.g. \"0 9 * * *\"")
      ->required();
  preview->add_option("--timezone", args->timezone, "IANA time zone")->capture_default_str();
  preview->add_option("--count", args->count, "how many")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  preview->add_option("--after", args->after, "start after this instant (RFC 3339; default now)");
  preview->callback([&globals, args, exit_code] { *exit_code = Preview(globals, *args); });
}

}  // namespace baton::cli
