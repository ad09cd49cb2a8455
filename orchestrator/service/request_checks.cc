#include "orchestrator/service/request_checks.h"

#include "absl/strings/str_cat.h"
#include "common/base/limits.h"
#include "common/spec/flow.h"

namespace baton::service {

absl::Status CheckName(const std::string& field, const std::string& value) {
  if (IsValidName(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", value.substr(0, 200), "\" is not a valid name; expected 1 to ", kMaxNameLength,
      " characters of [A-Za-z0-9_.-], starting with a letter or digit"));
}

absl::Status CheckRange(const std::string& field, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", value, " is out of range; expected ", min, "..", max));
}

absl::Status CheckNames(const std::string& field,
                        const google::protobuf::RepeatedPtrField<std::string>& values,
                        int max_count) {
  if (auto s = CheckCount(field, values.size(), max_count); !s.ok()) return s;
  for (int i = 0; i < values.size(); ++i) {
    absl::Status s = CheckName(absl::StrCat(field, "[", i, "]"), values[i]);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckLength(const std::string& field, const std::string& value, size_t max) {
  if (value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", value.size(), " bytes; expected at most ", max));
}

absl::Status CheckText(const std::string& field, const std::string& value, size_t max) {
  if (auto s = CheckLength(field, value, max); !s.ok()) return s;
  if (value.find('\0') == std::string::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": contains the character U+0000 (NUL); expected text without it"));
}

absl::Status CheckCount(const std::string& field, int64_t count, int64_t max) {
  if (count <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", count, " entries; expected at most ", max));
}

absl::Status CheckCorrelationId(const std::string& value) {
  if (auto s = CheckLength("correlation_id", value, kMaxCorrelationIdLength); !s.ok()) return s;
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = value[i];
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat("correlation_id: character ", i + 1,
                                                     " is not printable ASCII; expected letters, "
                                                     "digits and punctuation without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> FromTimestamp(const std::string& field,
                                         const google::protobuf::Timestamp& ts) {
  if (auto s = CheckRange(field + ".seconds", ts.seconds(), -62135596800, 253402300799); !s.ok()) {
    return s;
  }
  if (auto s = CheckRange(field + ".nanos", ts.nanos(), 0, 999999999); !s.ok()) return s;
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace baton::service
