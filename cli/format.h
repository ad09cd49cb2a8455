// Text output of the CLI: aligned tables, times, durations, state names, JSON.
#pragma once

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <vector>

#include "baton/v1/common.pb.h"

namespace baton::cli {

// Columns padded to their widest cell; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// RFC 3339 UTC with milliseconds, or "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& t, bool set);
// "1.234s", "2m3.5s", or "-" when unset.
std::string FormatDuration(const google::protobuf::Duration& d, bool set);

// "COMPLETED" rather than "FLOW_RUN_STATE_COMPLETED".
std::string StateName(v1::FlowRunState state);
std::string StateName(v1::TaskRunState state);
std::string StateName(v1::AttemptState state);

// The message as JSON (proto3 mapping, field names as in the .proto).
std::string ToJson(const google::protobuf::Message& message);

// Cuts `text` to `max` characters, marking the cut with "...".
std::string Shorten(const std::string& text, size_t max);

}  // namespace baton::cli
