// Internal to common/ (include only from common/*.cc).
//
// Reading the canonical JSON form: its shape (types, required and unknown
// keys), leaving the rules of FindIssue to the caller. Every key but the names
// is optional and defaults as in a flow file, so JSON stored before a key
// existed still loads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/spec/flow.h"
#include "common/spec/internal/flow_rules.h"
#include "nlohmann/json.hpp"

namespace baton::flow_spec_internal {

// Reports INVALID_ARGUMENT "<source>: <path>: <what>; expected <x>".
class JsonReader {
 public:
  explicit JsonReader(absl::string_view source) : source_(source) {}

  absl::Status Fail(const Issue& issue) const;
  absl::Status WrongType(std::string path, const nlohmann::json& value,
                         absl::string_view expected) const;

  // Fails unless `value` is an object whose keys are all among `allowed`.
  absl::Status CheckObject(const nlohmann::json& value, const std::string& path,
                           absl::Span<const absl::string_view> allowed) const;

  // The member `key` of `object`; nullptr when it is absent but optional.
  absl::StatusOr<const nlohmann::json*> Member(const nlohmann::json& object,
                                               const std::string& parent, absl::string_view key,
                                               bool required) const;

  // Each reads object[key] into *out when present, else leaves *out alone.
  absl::Status ReadString(const nlohmann::json& object, const std::string& parent,
                          absl::string_view key, bool required, std::string* out) const;
  absl::Status ReadBool(const nlohmann::json& object, const std::string& parent,
                        absl::string_view key, bool* out) const;
  absl::Status ReadInt(const nlohmann::json& object, const std::string& parent,
                       absl::string_view key, int* out) const;
  absl::Status ReadNumber(const nlohmann::json& object, const std::string& parent,
                          absl::string_view key, double* out) const;
  // An integer number of milliseconds.
  absl::Status ReadMilliseconds(const nlohmann::json& object, const std::string& parent,
                                absl::string_view key, absl::Duration* out) const;

  // `value` itself, a list of strings (or of integer milliseconds).
  absl::Status ReadStrings(const nlohmann::json& value, const std::string& path,
                           std::vector<std::string>* out) const;
  absl::Status ReadMillisecondsList(const nlohmann::json& value, const std::string& path,
                                    std::vector<absl::Duration>* out) const;

 private:
  absl::StatusOr<absl::Duration> Milliseconds(const nlohmann::json& value,
                                              const std::string& path) const;

  std::string source_;
};

// The resilience parts of the canonical form, shared by FlowSpecToJson /
// FlowSpecFromJson and the standalone RetryPolicy / CircuitBreaker functions.

// Adds "timeout_ms", "heartbeat_timeout_ms", "schedule_to_start_timeout_ms".
void AddTimeoutsJson(const TaskTimeouts& timeouts, nlohmann::json* object);

// Reads those three members of `object` (the task or "defaults" at `parent`).
absl::Status ReadTimeoutsJson(const JsonReader& reader, const nlohmann::json& object,
                              const std::string& parent, TaskTimeouts* out);

// object[key] when present and not null (null and absent both mean unset).
absl::Status ReadOptionalRetryJson(const JsonReader& reader, const nlohmann::json& object,
                                   const std::string& parent, absl::string_view key,
                                   std::optional<RetryPolicy>* out);
absl::Status ReadOptionalBreakerJson(const JsonReader& reader, const nlohmann::json& object,
                                     const std::string& parent, absl::string_view key,
                                     std::optional<CircuitBreakerSpec>* out);

}  // namespace baton::flow_spec_internal
