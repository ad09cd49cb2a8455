#include "cli/report.h"

#include <google/protobuf/util/time_util.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"

namespace baton::cli {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

// CSV leaves unset times empty where the tables print "-".
std::string CsvTime(const Timestamp& t, bool set) { return set ? FormatTime(t, true) : ""; }

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string Cut(const std::string& text) { return Shorten(text, kMarkdownCellMax); }

absl::Duration FromProto(const Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// How long an attempt held its lease: from lease to end.
std::string AttemptDuration(const v1::Attempt& a) {
  if (!a.has_leased_at() || !a.has_ended_at()) return "-";
  return FormatDuration(a.ended_at() - a.leased_at(), true);
}

std::string LastWorker(const v1::TaskRun& t) {
  return t.attempts().empty() ? "" : t.attempts().rbegin()->worker_name();
}

std::string ResultOrError(const v1::TaskRun& t) {
  return t.error().empty() ? t.result_json() : "error: " + t.error();
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   const char* separator) {
  return absl::StrJoin(items.begin(), items.end(), separator);
}

Rows MetadataRows(const v1::Run& run) {
  Rows rows = {{"field", "value"},
               {"flow", run.flow_name()},
               {"version", std::to_string(run.flow_version())},
               {"state", StateName(run.state())},
               {"created", FormatTime(run.created_at(), run.has_created_at())},
               {"started", FormatTime(run.started_at(), run.has_started_at())},
               {"ended", FormatTime(run.ended_at(), run.has_ended_at())},
               {"duration", FormatDuration(run.duration(), run.has_duration())},
               {"parameters", Cut(run.parameters_json())},
               {"tags", OrDash(Joined(run.tags(), ", "))},
               {"deployment", OrDash(run.deployment_id())},
               {"scheduled time", FormatTime(run.scheduled_time(), run.has_scheduled_time())},
               {"late", run.late() ? "yes" : "no"},
               {"error", OrDash(Cut(run.error()))}};
  if (!run.result_json().empty()) rows.push_back({"result", Cut(run.result_json())});
  if (!run.idempotency_key().empty()) rows.push_back({"idempotency key", run.idempotency_key()});
  if (!run.cancel_reason().empty()) rows.push_back({"cancel reason", Cut(run.cancel_reason())});
  return rows;
}

Rows TaskRows(const v1::Run& run) {
  Rows rows = {
      {"task", "state", "attempts", "started", "ended", "duration", "worker", "result or error"}};
  for (const auto& t : run.tasks()) {
    rows.push_back({t.name(), StateName(t.state()), std::to_string(t.attempt_count()),
                    FormatTime(t.started_at(), t.has_started_at()),
                    FormatTime(t.ended_at(), t.has_ended_at()),
                    FormatDuration(t.duration(), t.has_duration()), OrDash(LastWorker(t)),
                    OrDash(Cut(ResultOrError(t)))});
  }
  return rows;
}

// "12", "2000 (+1001 dropped)", or "-" when the attempt logged nothing.
std::string LogLinesCell(const v1::Attempt& a) {
  if (a.log_lines() == 0 && a.log_lines_dropped() == 0) return "-";
  if (a.log_lines_dropped() == 0) return absl::StrCat(a.log_lines());
  return absl::StrCat(a.log_lines(), " (+", a.log_lines_dropped(), " dropped)");
}

Rows AttemptRows(const v1::Run& run) {
  Rows rows = {{"task", "attempt", "state", "worker", "started", "ended", "duration", "error",
                "retry delay", "log lines"}};
  for (const auto& t : run.tasks()) {
    for (const auto& a : t.attempts()) {
      rows.push_back({t.name(), std::to_string(a.number()), StateName(a.state()),
                      OrDash(a.worker_name()), FormatTime(a.leased_at(), a.has_leased_at()),
                      FormatTime(a.ended_at(), a.has_ended_at()), AttemptDuration(a),
                      OrDash(Cut(a.error())), FormatDuration(a.retry_delay(), a.has_retry_delay()),
                      LogLinesCell(a)});
    }
  }
  return rows;
}

// "7d" and "1.5d": days, which absl::ParseDuration does not know.
bool ParseDays(const std::string& text, absl::Duration* out) {
  if (text.size() < 2 || text.back() != 'd') return false;
  double days = 0;
  if (!absl::SimpleAtod(text.substr(0, text.size() - 1), &days)) return false;
  *out = absl::Hours(24) * days;
  return true;
}

}  // namespace

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string FormatCsv(const Rows& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(row[i]);
    }
    out += '\n';
  }
  return out;
}

std::string MarkdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|' || c == '\\') out += '\\';
    if (c == '\r') continue;
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string MarkdownRow(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& cell : cells) absl::StrAppend(&out, " ", MarkdownCell(cell), " |");
  return out + "\n";
}

std::string FormatMarkdownTable(const Rows& rows) {
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    out += MarkdownRow(rows[r]);
    if (r == 0) {
      out += '|';
      for (size_t i = 0; i < rows[0].size(); ++i) out += "---|";
      out += '\n';
    }
  }
  return out;
}

std::vector<std::string> RunLogHeader() {
  return {"id", "time", "task", "attempt", "stream", "level", "message"};
}

std::vector<std::string> RunLogRow(const v1::RunLogEntry& e) {
  return {absl::StrCat(e.id()), FormatTime(e.line().time(), e.line().has_time()),
          e.task_name(),        absl::StrCat(e.attempt()),
          e.line().stream(),    e.line().level(),
          e.line().message()};
}

std::string RunLogText(const v1::RunLogEntry& e) {
  return absl::StrCat(FormatTime(e.line().time(), e.line().has_time()), "  ", e.task_name(), " #",
                      e.attempt(), "  ", absl::AsciiStrToUpper(e.line().level()), "  ",
                      e.line().stream(), "  ", e.line().message());
}

std::string DurationSeconds(const Duration& d, bool set) {
  if (!set) return "";
  const int64_t ms = absl::ToInt64Milliseconds(FromProto(d));  // truncates toward zero
  return absl::StrFormat("%s%d.%03d", ms < 0 ? "-" : "", std::llabs(ms) / 1000,
                         std::llabs(ms) % 1000);
}

Rows RunListRows(const v1::ListRunsResponse& runs) {
  Rows rows = {{"run_id", "flow", "version", "state", "created_at", "started_at", "ended_at",
                "duration_seconds", "deployment_id", "scheduled_time", "late", "tags"}};
  for (const auto& r : runs.runs()) {
    rows.push_back({r.id(), r.flow_name(), std::to_string(r.flow_version()), StateName(r.state()),
                    CsvTime(r.created_at(), r.has_created_at()),
                    CsvTime(r.started_at(), r.has_started_at()),
                    CsvTime(r.ended_at(), r.has_ended_at()),
                    DurationSeconds(r.duration(), r.has_duration() && r.has_ended_at()),
                    r.deployment_id(), CsvTime(r.scheduled_time(), r.has_scheduled_time()),
                    r.late() ? "true" : "false", Joined(r.tags(), ";")});
  }
  return rows;
}

std::string RunListCsv(const v1::ListRunsResponse& runs) { return FormatCsv(RunListRows(runs)); }

std::string RunListMarkdown(const v1::ListRunsResponse& runs) {
  return FormatMarkdownTable(RunListRows(runs));
}

std::string RunTasksCsv(const v1::Run& run) {
  Rows rows = {{"run_id", "task", "state", "attempts", "started_at", "ended_at", "duration_seconds",
                "worker", "result", "error"}};
  for (const auto& t : run.tasks()) {
    rows.push_back({run.id(), t.name(), StateName(t.state()), std::to_string(t.attempt_count()),
                    CsvTime(t.started_at(), t.has_started_at()),
                    CsvTime(t.ended_at(), t.has_ended_at()),
                    DurationSeconds(t.duration(), t.has_duration() && t.has_ended_at()),
                    LastWorker(t), t.result_json(), t.error()});
  }
  return FormatCsv(rows);
}

std::string RunMarkdown(const v1::Run& run) {
  std::string out = absl::StrCat("# Run ", MarkdownCell(run.id()), "\n\n",
                                 FormatMarkdownTable(MetadataRows(run)));
  const Rows tasks = TaskRows(run);
  if (tasks.size() > 1) absl::StrAppend(&out, "\n## Tasks\n\n", FormatMarkdownTable(tasks));
  const Rows attempts = AttemptRows(run);
  if (attempts.size() > 1) {
    absl::StrAppend(&out, "\n## Attempts\n\n", FormatMarkdownTable(attempts));
  }
  return out;
}

absl::StatusOr<absl::Time> ParseTimeBound(const std::string& flag, const std::string& text,
                                          absl::Time now) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  absl::Time at;
  std::string ignored;
  if (absl::ParseTime(absl::RFC3339_full, trimmed, &at, &ignored)) return at;
  absl::Duration ago;
  if (absl::ParseDuration(trimmed, &ago) || ParseDays(trimmed, &ago)) {
    if (ago >= absl::ZeroDuration() && ago != absl::InfiniteDuration()) return now - ago;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " \"", text,
                   "\": expected a duration before now (e.g. 30m, 1h, 7d) or an RFC 3339 "
                   "time (e.g. 2024-05-01T12:00:00Z)"));
}

}  // namespace baton::cli
