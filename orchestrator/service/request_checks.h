// Validation of request fields shared by the services. Each returns
// INVALID_ARGUMENT naming the field and what was expected. The bounds are in
// common/base/limits.h.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"

namespace baton::service {

absl::Status CheckName(const std::string& field, const std::string& value);
absl::Status CheckRange(const std::string& field, int64_t value, int64_t min, int64_t max);
absl::Status CheckNames(const std::string& field,
                        const google::protobuf::RepeatedPtrField<std::string>& values,
                        int max_count);
absl::Status CheckLength(const std::string& field, const std::string& value, size_t max);
// At most `max` bytes and no U+0000, which the database cannot store.
absl::Status CheckText(const std::string& field, const std::string& value, size_t max);
// At most `max` entries in the list or map `field`.
absl::Status CheckCount(const std::string& field, int64_t count, int64_t max);
// Empty, or 1..kMaxCorrelationIdLength printable ASCII characters.
absl::Status CheckCorrelationId(const std::string& value);

// `ts` as a time; INVALID_ARGUMENT naming `field` when out of the proto range.
absl::StatusOr<absl::Time> FromTimestamp(const std::string& field,
                                         const google::protobuf::Timestamp& ts);

}  // namespace baton::service
