// A child process for end-to-end tests: started with argv, output to a log
// file, signalled, waited for with a bound. The destructor SIGKILLs it if it
// still runs. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace baton::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with stdout and stderr appended to `log_path`,
  // in `working_dir` when not empty.
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               const std::string& working_dir = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  bool running();

  void Signal(int signal);
  // The wait status once it exits, or nullopt after `timeout`.
  std::optional<int> WaitExit(absl::Duration timeout);
  // The log so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitUntil(absl::Duration timeout, const std::function<bool()>& condition);

// A process as /proc shows it; the start time tells a reused id apart.
struct ProcessRef {
  pid_t pid = 0;
  unsigned long long start_time = 0;  // clock ticks after boot
  std::string command;                // its command line, spaces between arguments
};

// Every descendant of `root` now (children, theirs, ...), from /proc.
std::vector<ProcessRef> Descendants(pid_t root);

// Whether `process` still runs: same id and start time, not a zombie.
bool StillRuns(const ProcessRef& process);

}  // namespace baton::testing
