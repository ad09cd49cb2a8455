// The deadline of the request this thread is serving, for code far from the
// RPC (the database pool) that must not start, or commit, work its caller
// has given up on. Set by the server for the length of each call
// (ScopedRequestDeadline); InfiniteFuture when none is set.
//
// Thread-compatible: each thread sees only its own deadline.
#pragma once

#include "absl/time/time.h"

namespace baton {

absl::Time CurrentRequestDeadline();

// For a server's per-call hooks that cannot hold a ScopedRequestDeadline
// (InfiniteFuture clears it).
void SetCurrentRequestDeadline(absl::Time deadline);

// Sets this thread's request deadline until destroyed (then restores the
// previous one). Not movable: it lives on the serving thread's stack.
class ScopedRequestDeadline {
 public:
  explicit ScopedRequestDeadline(absl::Time deadline);
  ~ScopedRequestDeadline();
  ScopedRequestDeadline(const ScopedRequestDeadline&) = delete;
  ScopedRequestDeadline& operator=(const ScopedRequestDeadline&) = delete;

 private:
  absl::Time previous_;
};

}  // namespace baton
