// The process that takes a subprocess's whole process group down with its
// caller, however the caller ends. Used by RunSubprocess (common/process/subprocess.h).
#pragma once

#include <sys/types.h>

#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace baton {

// A watchdog process that leads a new process group and SIGKILLs that whole
// group, itself included, as soon as the caller's end of its lifeline (a pipe
// only the caller holds) closes: when this object is destroyed, or when the
// calling process dies in any way, SIGKILL included, since the kernel then
// closes the pipe. Put a child in the group (setpgid(pid, pgid()), in the
// child before it execs) and everything it starts stays covered: children,
// grandchildren and background jobs, whoever their parent is by then. A
// process that leaves the group (setsid(), setpgid()) is out of reach.
//
// The watchdog keeps every signal blocked: only SIGKILL ends it, so it
// outlives a SIGTERM sent to the group. It holds no descriptor but its end
// of the lifeline, and stays unreaped until this object is destroyed, so
// pgid() names this group until then.
//
// Not thread-safe; distinct objects are independent.
class GroupWatchdog {
 public:
  // Forks the watchdog; the group exists when this returns.
  // Errors: INTERNAL when a system call fails.
  static absl::StatusOr<std::unique_ptr<GroupWatchdog>> Start();

  // SIGKILLs the group and reaps the watchdog.
  ~GroupWatchdog();
  GroupWatchdog(const GroupWatchdog&) = delete;
  GroupWatchdog& operator=(const GroupWatchdog&) = delete;

  pid_t pgid() const { return pid_; }
  // Sends `sig` to every process of the group.
  void Signal(int sig) const;

 private:
  GroupWatchdog(pid_t pid, int lifeline) : pid_(pid), lifeline_(lifeline) {}

  const pid_t pid_;
  const int lifeline_;  // the write end; closed by the destructor
};

// fork() with every signal blocked around it, so that the new process runs
// none of the caller's handlers; it starts with all signals blocked.
// `in_child` runs in the new process, may make async-signal-safe calls only,
// and must not return. Returns the child's pid; INTERNAL when fork() fails.
absl::StatusOr<pid_t> ForkWithSignalsBlocked(absl::FunctionRef<void()> in_child);

// waitpid() for `pid`, retried on EINTR.
void ReapBlocking(pid_t pid);

}  // namespace baton
