#include "worker/attempt_runner.h"

#include "absl/strings/str_cat.h"
#include "common/base/limits.h"
#include "worker/worker.h"

namespace baton::worker {
namespace {

void SetError(v1::CompleteAttemptRequest& out, const std::string& message, bool non_retryable,
              const std::string& type) {
  v1::AttemptError* error = out.mutable_error();
  error->set_message(message);
  error->set_non_retryable(non_retryable);
  error->set_type(type);
}

absl::StatusOr<nlohmann::json> CallHandler(const Handler& handler, TaskContext& ctx,
                                           const nlohmann::json& input) {
  try {
    return handler(ctx, input);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("handler threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("handler threw a non-standard exception");
  }
}

// The result as JSON text; a result the orchestrator would refuse (over
// kMaxResultBytes, or not UTF-8) fails the attempt here, saying why, rather
// than being sent.
void SetResult(v1::CompleteAttemptRequest& out, const nlohmann::json& result) {
  std::string text;
  try {
    text = result.dump();
  } catch (const nlohmann::json::exception&) {
    SetError(out, "the handler's result holds text that is not valid UTF-8", true, "BadResult");
    return;
  }
  if (text.size() > kMaxResultBytes) {
    SetError(out,
             absl::StrCat("result of ", text.size(), " bytes exceeds the bound of ",
                          kMaxResultBytes, " bytes"),
             true, "ResultTooLarge");
    return;
  }
  out.set_result_json(std::move(text));
}

}  // namespace

std::shared_ptr<TaskContext> MakeContext(const v1::Lease& lease, absl::Time received_at) {
  TaskContext::Identity id{lease.run_id(),
                           lease.flow_name(),
                           lease.task_name(),
                           lease.attempt().task_run_id(),
                           lease.attempt().attempt(),
                           lease.handler(),
                           lease.correlation_id(),
                           lease.has_scheduled_time()
                               ? absl::FromUnixSeconds(lease.scheduled_time().seconds()) +
                                     absl::Nanoseconds(lease.scheduled_time().nanos())
                               : absl::InfinitePast()};
  nlohmann::json config = nlohmann::json::parse(lease.config_json(), nullptr, false);
  if (!config.is_object()) config = nlohmann::json::object();
  absl::Time deadline = absl::InfiniteFuture();
  if (lease.has_execution_timeout()) {
    deadline = received_at + absl::Seconds(lease.execution_timeout().seconds()) +
               absl::Nanoseconds(lease.execution_timeout().nanos());
  }
  std::map<std::string, std::string> env(lease.env().begin(), lease.env().end());
  std::vector<std::string> secret_env(lease.secret_env().begin(), lease.secret_env().end());
  return std::make_shared<TaskContext>(std::move(id), std::move(config), deadline, std::move(env),
                                       secret_env);
}

v1::CompleteAttemptRequest RunAttempt(const Handler* handler, TaskContext& ctx,
                                      const v1::Lease& lease, const std::string& worker_id) {
  v1::CompleteAttemptRequest out;
  out.set_worker_id(worker_id);
  *out.mutable_attempt() = lease.attempt();
  if (handler == nullptr) {
    SetError(out, absl::StrCat("this worker has no handler named \"", lease.handler(), "\""), true,
             "UnknownHandler");
    return out;
  }
  nlohmann::json input = nlohmann::json::parse(lease.input_json(), nullptr, false);
  if (input.is_discarded()) {
    SetError(out, "task input is not valid JSON", true, "BadInput");
    return out;
  }
  absl::StatusOr<nlohmann::json> result = CallHandler(*handler, ctx, input);
  if (result.ok()) {
    SetResult(out, ctx.RedactJson(*result));
    return out;
  }
  std::string message(result.status().message());
  if (ctx.cancelled() && result.status().code() == absl::StatusCode::kCancelled) {
    message = absl::StrCat(ctx.cancel_reason(), message.empty() ? "" : " (", message,
                           message.empty() ? "" : ")");
  }
  SetError(out, ctx.Redact(message), IsNonRetryable(result.status()), ErrorTypeOf(result.status()));
  return out;
}

}  // namespace baton::worker
