// Runs as CSV and Markdown, for notes and spreadsheets: pure functions from
// wire messages to text (no I/O), and the time window of `baton run list`.
//
// CSV follows RFC 4180: a header row, fields quoted when they hold a comma, a
// double quote, CR or LF, quotes inside doubled. Lines end in LF (not CRLF),
// which every CSV reader accepts and Unix tools prefer. Unset values are
// empty fields; times are RFC 3339 UTC with milliseconds; durations are
// seconds with three decimals (milliseconds, truncated).
//
// Markdown is GitHub-flavoured: tables with a header row and a `|---|` row.
// In cells, `|` is written `\|` and `\` is written `\\` (so a backslash
// before a pipe cannot unescape it), and line breaks become spaces. Unset
// values are "-". Long free text (results, errors, parameters) is cut to
// kMarkdownCellMax characters; CSV keeps it whole.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "baton/v1/run_service.pb.h"

namespace baton::cli {

using Rows = std::vector<std::vector<std::string>>;  // the first row is the header

inline constexpr size_t kMarkdownCellMax = 300;

// Generic tables.
std::string CsvField(std::string_view text);
std::string FormatCsv(const Rows& rows);
std::string MarkdownCell(std::string_view text);
std::string FormatMarkdownTable(const Rows& rows);
// One table row ("| a | b |\n"), cells escaped as above.
std::string MarkdownRow(const std::vector<std::string>& cells);

// Seconds with three decimals ("12.345"), or "" when unset.
std::string DurationSeconds(const google::protobuf::Duration& d, bool set);

// `run list`: run_id, flow, version, state, created_at, started_at, ended_at,
// duration_seconds, deployment_id, scheduled_time, late, tags (joined by ';').
// duration_seconds is empty until the run ended.
Rows RunListRows(const v1::ListRunsResponse& runs);
std::string RunListCsv(const v1::ListRunsResponse& runs);
std::string RunListMarkdown(const v1::ListRunsResponse& runs);

// `run get`: one row per task run: run_id, task, state, attempts, started_at,
// ended_at, duration_seconds, worker (of the last attempt), result, error.
std::string RunTasksCsv(const v1::Run& run);

// `run get`: a "# Run <id>" heading, then tables of the run's metadata, its
// tasks and every attempt (with the retry delay chosen after it).
std::string RunMarkdown(const v1::Run& run);

// `run logs`: id, time, task, attempt, stream, level, message (whole, also
// in Markdown: a log line is never cut).
std::vector<std::string> RunLogHeader();
std::vector<std::string> RunLogRow(const v1::RunLogEntry& e);
// One line of `run logs` text: time, task #attempt, LEVEL, stream, message.
std::string RunLogText(const v1::RunLogEntry& e);

// The instant a `--since`/`--until` value names: an RFC 3339 time, or a
// duration before `now` ("90s", "1h30m", "7d"). INVALID_ARGUMENT naming
// `flag` otherwise, or for a negative duration.
absl::StatusOr<absl::Time> ParseTimeBound(const std::string& flag, const std::string& text,
                                          absl::Time now);

}  // namespace baton::cli
