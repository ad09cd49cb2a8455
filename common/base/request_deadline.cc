#include "common/base/request_deadline.h"

namespace baton {
namespace {

thread_local absl::Time current_deadline = absl::InfiniteFuture();

}  // namespace

absl::Time CurrentRequestDeadline() { return current_deadline; }

void SetCurrentRequestDeadline(absl::Time deadline) { current_deadline = deadline; }

ScopedRequestDeadline::ScopedRequestDeadline(absl::Time deadline) : previous_(current_deadline) {
  current_deadline = deadline;
}

ScopedRequestDeadline::~ScopedRequestDeadline() { current_deadline = previous_; }

}  // namespace baton
