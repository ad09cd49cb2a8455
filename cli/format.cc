#include "cli/format.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace baton::cli {
namespace {

std::string StripPrefix(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

}  // namespace

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string FormatTime(const google::protobuf::Timestamp& t, bool set) {
  if (!set) return "-";
  const absl::Time time = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string FormatDuration(const google::protobuf::Duration& d, bool set) {
  if (!set) return "-";
  const absl::Duration duration = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  return absl::FormatDuration(absl::Trunc(duration, absl::Milliseconds(1)));
}

std::string StateName(v1::FlowRunState s) {
  return StripPrefix(v1::FlowRunState_Name(s), "FLOW_RUN_STATE_");
}
std::string StateName(v1::TaskRunState s) {
  return StripPrefix(v1::TaskRunState_Name(s), "TASK_RUN_STATE_");
}
std::string StateName(v1::AttemptState s) {
  return StripPrefix(v1::AttemptState_Name(s), "ATTEMPT_STATE_");
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string Shorten(const std::string& text, size_t max) {
  std::string flat = absl::StrReplaceAll(text, {{"\n", " "}});
  if (flat.size() <= max) return flat;
  return flat.substr(0, max - 3) + "...";
}

}  // namespace baton::cli
