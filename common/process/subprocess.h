// A small POSIX process runner: handlers that run commands, and the embedded
// PostgreSQL (initdb, pg_ctl).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/secret_mask.h"

namespace baton {

struct SubprocessOptions {
  // argv[0] without a '/' is looked up in PATH (the PATH in `env` if set
  // there, else the inherited one); with a '/' it is used as is, relative to
  // `working_dir`.
  std::vector<std::string> argv;
  // Added over (and replacing entries of) the inherited environment.
  std::map<std::string, std::string> env;
  // Empty: the caller's working directory.
  std::string working_dir;
  // Written to the child's stdin, which is then closed.
  std::string stdin_data;
  // Only the last this-many bytes of each stream are kept.
  size_t max_stdout_bytes = 1 << 20;
  size_t max_stderr_bytes = 64 << 10;
  // Values replaced by "***" in both outputs as they are read (one split
  // across reads is masked whole), before `on_output` sees them and before
  // the tails are cut, so that no bound keeps part of one.
  SecretMask secrets;
  // Called on the calling thread with each chunk read from the child's stdout
  // (`is_stderr` false) or stderr, as it arrives (chunks are not lines),
  // secrets masked. May be empty. The tails above are kept either way.
  std::function<void(bool is_stderr, absl::string_view chunk)> on_output;
  // Time between SIGTERM and SIGKILL once `should_stop` turns true.
  absl::Duration kill_grace = absl::Seconds(5);
};

struct SubprocessResult {
  int exit_code = -1;   // -1 unless the process exited normally
  int term_signal = 0;  // the signal that ended it, if one did
  std::string stdout_tail;
  std::string stderr_tail;
  bool stopped = false;  // killed because should_stop became true
  bool stdout_truncated = false;
  bool stderr_truncated = false;
};

// Runs argv[0] in a new process group, feeding `stdin_data` and collecting
// both outputs concurrently, and waits for it to exit.
//
// `should_stop` (may be empty) is polled at least every 50 ms; once it returns
// true the whole group gets SIGTERM, then SIGKILL after `kill_grace`. When the
// command exits, anything left in the group is SIGKILLed: at once if the run
// was stopped, 200 ms later if it still holds the output pipes (what it wrote
// by then is kept), and in any case before the call returns. So nothing the
// command started outlives the call, nor blocks it forever.
//
// Nor does it outlive the caller: the group is led by a watchdog process
// (common/process/group_watchdog.h) that SIGKILLs it as soon as the caller dies,
// however it dies (SIGKILL included). Only a process that leaves the group
// (setsid(), setpgid()) escapes. The command does not lead the group: `kill
// 0` in a script reaches the group, `kill -- -$$` does not.
//
// A non-zero exit or death by signal is a successful call: inspect the result.
// Errors: INVALID_ARGUMENT for an empty argv; NOT_FOUND when the command or
// working directory does not exist; FAILED_PRECONDITION when they cannot be
// used (permissions, not an executable); INTERNAL when a system call fails.
//
// On first use, sets SIGPIPE to SIG_IGN process-wide if it was SIG_DFL (so a
// child that stops reading stdin cannot kill the caller); the child gets
// SIGPIPE back at its default. Thread-safe: concurrent calls are independent.
absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options,
                                               const std::function<bool()>& should_stop);

}  // namespace baton
