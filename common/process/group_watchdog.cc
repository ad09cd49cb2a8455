#include "common/process/group_watchdog.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

// Why a watchdog process and not the kernel's own hooks:
// - PR_SET_PDEATHSIG reaches only the direct child, fires when the *thread*
//   that forked it exits, and is lost if the parent died before prctl(): a
//   grandchild or background job (`(sleep 5; touch m) &`) would live on.
// - PR_SET_CHILD_SUBREAPER makes orphans ours only while we live: once we
//   are SIGKILLed they go to init, still running.
// A pipe whose only writer is the caller does close on any death, and a
// process group names every descendant that did not leave it, wherever it
// was reparented. Leading the group from before the command is forked
// leaves no window in which the command runs unwatched.

namespace baton {
namespace {

absl::Status SyscallError(absl::string_view call, int err) {
  char buf[256];
  return absl::InternalError(absl::StrCat(call, ": ", strerror_r(err, buf, sizeof buf)));
}

// Descriptors at or above this are closed one by one when close_range() is
// missing (kernels before 5.9).
int DescriptorLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 16;
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
}

// --- In the watchdog: async-signal-safe calls only. ---

// Holding another attempt's pipes (or a socket the caller closed) would keep
// them open for as long as this group lives.
void CloseAllBut(int keep, int limit) {
  bool done = (keep == 0 || close_range(0, keep - 1, 0) == 0) && close_range(keep + 1, ~0U, 0) == 0;
  for (int fd = 0; !done && fd < limit; ++fd) {
    if (fd != keep) close(fd);
  }
}

[[noreturn]] void RunWatchdog(int lifeline, int limit) {
  setpgid(0, 0);
  CloseAllBut(lifeline, limit);
  char byte;
  for (;;) {
    ssize_t n = read(lifeline, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  kill(0, SIGKILL);  // the whole group, this process included
  _exit(0);
}

}  // namespace

absl::StatusOr<pid_t> ForkWithSignalsBlocked(absl::FunctionRef<void()> in_child) {
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = fork();
  if (pid == 0) in_child();
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return SyscallError("fork", fork_errno);
  return pid;
}

void ReapBlocking(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

absl::StatusOr<std::unique_ptr<GroupWatchdog>> GroupWatchdog::Start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return SyscallError("pipe2", errno);
  const int limit = DescriptorLimit();
  absl::StatusOr<pid_t> pid = ForkWithSignalsBlocked([&] { RunWatchdog(fds[0], limit); });
  close(fds[0]);
  if (!pid.ok()) {
    close(fds[1]);
    return pid.status();
  }
  // Also done by the watchdog; here too so that the group exists on return.
  setpgid(*pid, *pid);
  return std::unique_ptr<GroupWatchdog>(new GroupWatchdog(*pid, fds[1]));
}

GroupWatchdog::~GroupWatchdog() {
  Signal(SIGKILL);
  close(lifeline_);
  ReapBlocking(pid_);
}

void GroupWatchdog::Signal(int sig) const { kill(-pid_, sig); }

}  // namespace baton
