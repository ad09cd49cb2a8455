// What the CLI takes from outside — flags, `-p key=value` parameters, flow
// and deployment files — checked before anything is sent: text must be UTF-8
// (a proto3 string cannot carry anything else) and JSON must parse. Every
// error is INVALID_ARGUMENT (NOT_FOUND for an unreadable file) naming the
// flag or file, the position and what was expected; nothing here throws.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace baton::cli {

// Checks every value given on the command line (and through environment
// variables) of `app` and of the subcommands that were parsed, except the
// options that name local files (--file, --tls-ca, ...): a path is never sent,
// and a file's name need not be UTF-8. INVALID_ARGUMENT "--idempotency-key
// \"abc\xff\": not valid UTF-8 at byte 3; expected UTF-8 text" for the first
// value that is not UTF-8.
absl::Status CheckArgumentsAreUtf8(const CLI::App& app);

// Adds each "key=value" of `flags` (the values of `--param`) to the JSON
// object `params`: the value as JSON when it parses as JSON, else as a
// string. INVALID_ARGUMENT naming the flag and the parameter for a missing
// key, text that is not UTF-8, or a value nested deeper than kMaxJsonDepth.
absl::Status AddParamFlags(const std::vector<std::string>& flags, nlohmann::json* params);

// A flow or deployment file to send: its whole content. NOT_FOUND when it
// cannot be read; INVALID_ARGUMENT "<path>: N bytes; expected at most M" over
// `max_bytes`, and "<path> (line L, column C): not valid UTF-8 at byte N;
// expected UTF-8 text".
absl::StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes);

// The name a file is sent under (ApplyFlowRequest.source_name): the path,
// with bytes that are not UTF-8 replaced by U+FFFD.
std::string SourceName(const std::string& path);

}  // namespace baton::cli
