#include "examples/course_handlers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/backoff.h"

namespace baton::examples {
namespace {

using nlohmann::json;

const json& Params(const json& input) {
  static const json kEmpty = json::object();
  return input.contains("params") ? input["params"] : kEmpty;
}

absl::StatusOr<json> FlakyCall(worker::TaskContext& ctx, const json& input) {
  const double rate = Params(input).value("failure_rate", 0.3);
  const int fail_first = Params(input).value("fail_first", 0);
  if (rate < 0.0 || rate > 1.0) {
    return worker::NonRetryable(absl::InvalidArgumentError(
        absl::StrCat("params.failure_rate ", rate, " is outside [0, 1]")));
  }
  if (ctx.identity().attempt <= fail_first || UnitRandom() < rate) {
    return absl::UnavailableError("Transient upstream error");
  }
  if (ctx.WaitForCancel(absl::Seconds(ctx.config().value("work_seconds", 0.2)))) {
    return absl::CancelledError("flaky_call interrupted");
  }
  return json(42);
}

absl::StatusOr<json> PrimaryProvider(worker::TaskContext&, const json& input) {
  if (Params(input).value("primary_down", false)) {
    return absl::UnavailableError("Primary provider failure");
  }
  return json(absl::StrCat("primary:", Params(input).value("q", "")));
}

absl::StatusOr<json> SecondaryProvider(worker::TaskContext& ctx, const json& input) {
  if (ctx.WaitForCancel(absl::Seconds(ctx.config().value("latency_seconds", 0.3)))) {
    return absl::CancelledError("secondary_provider interrupted");
  }
  return json(absl::StrCat("secondary:", Params(input).value("q", "")));
}

absl::StatusOr<json> Answer(worker::TaskContext&, const json& input) {
  const json::json_pointer primary("/upstream/primary");
  if (!input.contains(primary)) {
    return worker::NonRetryable(absl::InvalidArgumentError("task input has no upstream.primary"));
  }
  return json{{"answer", input.at(primary)}};
}

}  // namespace

void RegisterCourseHandlers(worker::Worker& worker) {
  worker.Register("course.flaky_call", FlakyCall);
  worker.Register("course.primary_provider", PrimaryProvider);
  worker.Register("course.secondary_provider", SecondaryProvider);
  worker.Register("course.answer", Answer);
}

}  // namespace baton::examples
