#include "worker/handler_errors.h"

#include "absl/strings/cord.h"

namespace baton::worker {
namespace {

constexpr char kNonRetryablePayload[] = "baton.dev/non-retryable";
constexpr char kErrorTypePayload[] = "baton.dev/error-type";

}  // namespace

absl::Status NonRetryable(absl::Status status) {
  status.SetPayload(kNonRetryablePayload, absl::Cord("1"));
  return status;
}

bool IsNonRetryable(const absl::Status& status) {
  return status.GetPayload(kNonRetryablePayload).has_value();
}

absl::Status WithErrorType(absl::Status status, absl::string_view type) {
  if (!type.empty()) status.SetPayload(kErrorTypePayload, absl::Cord(type));
  return status;
}

std::string ErrorTypeOf(const absl::Status& status) {
  const auto type = status.GetPayload(kErrorTypePayload);
  return type ? std::string(*type) : absl::StatusCodeToString(status.code());
}

}  // namespace baton::worker
