#include "common/process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/base/secret_mask.h"
#include "common/base/status_macros.h"
#include "common/process/group_watchdog.h"

extern char** environ;

namespace baton {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollInterval{50};
// With every pipe closed only waitpid() can tell us the command exited.
constexpr std::chrono::milliseconds kIdlePollInterval{10};
constexpr std::chrono::milliseconds kPipeDrainGrace{200};
constexpr size_t kReadChunk = 64 << 10;
constexpr int kMaxDrainReads = 64;
constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

std::string ErrnoText(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

absl::Status SyscallError(absl::string_view call, int err) {
  return absl::InternalError(absl::StrCat(call, ": ", ErrnoText(err)));
}

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Keeps the last `max` bytes appended.
class TailBuffer {
 public:
  explicit TailBuffer(size_t max) : max_(max) {}

  void Append(const char* data, size_t size) {
    data_.append(data, size);
    // Trimming only past twice the limit keeps erasure amortized O(1).
    if (data_.size() > 2 * max_ + kReadChunk) Trim();
  }

  void Finish(std::string* tail, bool* truncated) {
    Trim();
    *tail = std::move(data_);
    *truncated = truncated_;
  }

 private:
  void Trim() {
    if (data_.size() <= max_) return;
    data_.erase(0, data_.size() - max_);
    truncated_ = true;
  }

  const size_t max_;
  std::string data_;
  bool truncated_ = false;
};

struct Pipe {
  Fd read;
  Fd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return SyscallError("pipe2", errno);
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

absl::Status SetNonBlocking(const Fd& fd) {
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return SyscallError("fcntl(O_NONBLOCK)", errno);
  }
  return absl::OkStatus();
}

struct ChildPipes {
  Pipe in, out, err;
  Pipe report;  // CLOEXEC: EOF means exec succeeded, data is a ChildFailure
};

absl::StatusOr<ChildPipes> MakeChildPipes() {
  ChildPipes pipes;
  for (Pipe* pipe : {&pipes.in, &pipes.out, &pipes.err, &pipes.report}) {
    BATON_ASSIGN_OR_RETURN(*pipe, MakePipe());
  }
  BATON_RETURN_IF_ERROR(SetNonBlocking(pipes.in.write));
  BATON_RETURN_IF_ERROR(SetNonBlocking(pipes.out.read));
  BATON_RETURN_IF_ERROR(SetNonBlocking(pipes.err.read));
  return pipes;
}

// Without this, writing stdin to a child that exited would kill the caller.
void IgnoreSigpipeOnce() {
  static const bool done = [] {
    struct sigaction current = {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) &&
        current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)done;
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

absl::Status ValidateOptions(const SubprocessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("subprocess: argv is empty");
  if (options.argv[0].empty()) return absl::InvalidArgumentError("subprocess: argv[0] is empty");
  for (size_t i = 0; i < options.argv.size(); ++i) {
    if (HasNul(options.argv[i])) {
      return absl::InvalidArgumentError(absl::StrCat("subprocess: argv[", i, "] contains NUL"));
    }
  }
  for (const auto& [name, value] : options.env) {
    if (name.empty() || name.find('=') != std::string::npos || HasNul(name) || HasNul(value)) {
      return absl::InvalidArgumentError(absl::StrCat("subprocess: env name \"", name,
                                                     "\" must be non-empty, without '=' or NUL"));
    }
  }
  if (HasNul(options.working_dir)) {
    return absl::InvalidArgumentError("subprocess: working_dir contains NUL");
  }
  return absl::OkStatus();
}

std::string SearchPath(const SubprocessOptions& options) {
  auto it = options.env.find("PATH");
  if (it != options.env.end()) return it->second;
  const char* inherited = getenv("PATH");
  return inherited != nullptr ? inherited : kDefaultPath;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Resolved here rather than by execvp() in the child, which may only make
// async-signal-safe calls and would search the parent's PATH, not `env`'s.
absl::StatusOr<std::string> ResolveCommand(const SubprocessOptions& options) {
  const std::string& name = options.argv[0];
  if (name.find('/') != std::string::npos) return name;
  const std::string search_path = SearchPath(options);
  for (absl::string_view dir : absl::StrSplit(search_path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("command \"", name, "\" not found in PATH \"", search_path, "\""));
}

std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    merged.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  for (const auto& [name, value] : overrides) merged[name] = value;
  std::vector<std::string> result;
  result.reserve(merged.size());
  for (const auto& [name, value] : merged) result.push_back(absl::StrCat(name, "=", value));
  return result;
}

enum class ChildStage : int { kSetup, kGroup, kChdir, kExec };

struct ChildFailure {
  ChildStage stage;
  int err;
};

// Everything the child needs, prepared before fork() so the child allocates
// nothing. Pointers refer into the strings, hence neither copyable nor movable.
struct ChildPlan {
  ChildPlan() = default;
  ChildPlan(const ChildPlan&) = delete;
  ChildPlan& operator=(const ChildPlan&) = delete;

  std::string path;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* working_dir = nullptr;
  pid_t pgid = 0;                             // the watchdog's group, which the child joins
  std::array<int, 4> fds = {-1, -1, -1, -1};  // stdin, stdout, stderr, report
};

absl::Status BuildPlan(const SubprocessOptions& options, const ChildPipes& pipes, pid_t pgid,
                       ChildPlan* plan) {
  BATON_ASSIGN_OR_RETURN(plan->path, ResolveCommand(options));
  plan->env = MergedEnvironment(options.env);
  for (const std::string& arg : options.argv) plan->argv.push_back(const_cast<char*>(arg.c_str()));
  plan->argv.push_back(nullptr);
  for (std::string& entry : plan->env) plan->envp.push_back(entry.data());
  plan->envp.push_back(nullptr);
  if (!options.working_dir.empty()) plan->working_dir = options.working_dir.c_str();
  plan->pgid = pgid;
  plan->fds = {pipes.in.read.get(), pipes.out.write.get(), pipes.err.write.get(),
               pipes.report.write.get()};
  return absl::OkStatus();
}

// --- In the child, between fork() and exec: async-signal-safe calls only. ---

[[noreturn]] void FailChild(int report_fd, ChildStage stage) {
  ChildFailure failure{stage, errno};
  // If this write fails the parent sees a short report and says so.
  ssize_t ignored = write(report_fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

// Caught signals would run the parent's handlers until exec; SIGPIPE is reset
// because we may have ignored it. The parent blocked everything around fork(),
// and the command must start with nothing blocked so SIGTERM reaches it.
void ResetSignalsInChild() {
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current = {};
    if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, nullptr, &current) != 0) continue;
    bool ignored = !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN;
    if (!ignored || sig == SIGPIPE) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Moves the pipe ends onto fds 0-2. Sources are first lifted above 2 so that
// installing one cannot clobber another (possible if the caller closed stdio).
bool InstallStdio(std::array<int, 4>& fds) {
  for (int& fd : fds) {
    if (fd < 3 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) return false;
  }
  for (int i = 0; i < 3; ++i) {
    if (dup2(fds[i], i) < 0) return false;
  }
  return true;
}

// Joining the group before exec means that whatever the command starts is
// in it, so the watchdog covers it.
[[noreturn]] void RunChild(const ChildPlan& plan) {
  ResetSignalsInChild();
  std::array<int, 4> fds = plan.fds;
  if (!InstallStdio(fds)) FailChild(fds[3] >= 3 ? fds[3] : plan.fds[3], ChildStage::kSetup);
  if (setpgid(0, plan.pgid) != 0) FailChild(fds[3], ChildStage::kGroup);
  if (plan.working_dir != nullptr && chdir(plan.working_dir) != 0) {
    FailChild(fds[3], ChildStage::kChdir);
  }
  execve(plan.path.c_str(), plan.argv.data(), plan.envp.data());
  FailChild(fds[3], ChildStage::kExec);
}

// --- In the parent. ---

absl::Status ExecFailureStatus(const ChildFailure& failure, const SubprocessOptions& options,
                               const ChildPlan& plan) {
  std::string what = "cannot set up stdio";
  if (failure.stage == ChildStage::kGroup) {
    what = "cannot join its process group";
  } else if (failure.stage == ChildStage::kChdir) {
    what = absl::StrCat("cannot chdir to \"", options.working_dir, "\"");
  } else if (failure.stage == ChildStage::kExec) {
    what = absl::StrCat("cannot execute \"", plan.path, "\"");
  }
  std::string message =
      absl::StrCat("command \"", options.argv[0], "\": ", what, ": ", ErrnoText(failure.err));
  if (failure.stage == ChildStage::kSetup || failure.stage == ChildStage::kGroup) {
    return absl::InternalError(message);
  }
  if (failure.err == ENOENT) return absl::NotFoundError(message);
  return absl::FailedPreconditionError(message);
}

// Blocks until the child has exec'd (the report pipe closes) or reported why
// it could not; in the latter case reaps it.
absl::Status AwaitExec(const Fd& report, pid_t pid, const SubprocessOptions& options,
                       const ChildPlan& plan) {
  ChildFailure failure;
  ssize_t n;
  do {
    n = read(report.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return absl::OkStatus();
  if (n < 0) {
    const int read_errno = errno;
    kill(pid, SIGKILL);  // it may be running: nobody would supervise it
    ReapBlocking(pid);
    return SyscallError("read(exec report)", read_errno);
  }
  ReapBlocking(pid);  // it wrote a report, so it is about to _exit
  if (n != static_cast<ssize_t>(sizeof failure)) {
    return absl::InternalError(
        absl::StrCat("command \"", options.argv[0], "\": lost the child's exec report"));
  }
  return ExecFailureStatus(failure, options, plan);
}

absl::StatusOr<pid_t> StartChild(const SubprocessOptions& options, ChildPipes& pipes, pid_t pgid) {
  ChildPlan plan;
  BATON_RETURN_IF_ERROR(BuildPlan(options, pipes, pgid, &plan));
  BATON_ASSIGN_OR_RETURN(pid_t pid, ForkWithSignalsBlocked([&plan] { RunChild(plan); }));
  pipes.in.read.Reset();
  pipes.out.write.Reset();
  pipes.err.write.Reset();
  pipes.report.write.Reset();
  // Also done by the child; doing it here too means the child is in the
  // group before we could ever signal it.
  setpgid(pid, pgid);
  BATON_RETURN_IF_ERROR(AwaitExec(pipes.report.read, pid, options, plan));
  return pid;
}

// Feeds stdin, drains stdout/stderr, enforces stop and reaps one child.
// Kills the group and reaps the child if destroyed before the child was reaped.
class Supervisor {
 public:
  Supervisor(const SubprocessOptions& options, const std::function<bool()>& should_stop, pid_t pid,
             const GroupWatchdog& group, ChildPipes pipes)
      : options_(options),
        should_stop_(should_stop),
        pid_(pid),
        group_(group),
        stdin_(std::move(pipes.in.write)),
        stdout_(std::move(pipes.out.read)),
        stderr_(std::move(pipes.err.read)),
        stdout_buffer_(options.max_stdout_bytes),
        stderr_buffer_(options.max_stderr_bytes),
        stdout_mask_(options.secrets),
        stderr_mask_(options.secrets) {
    if (options_.stdin_data.empty()) stdin_.Reset();
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  absl::StatusOr<SubprocessResult> Run();

 private:
  bool OutputOpen() const { return stdout_.valid() || stderr_.valid(); }
  int PollTimeoutMs() const;
  absl::Status PollOnce();
  absl::Status WriteStdin();
  absl::StatusOr<size_t> ReadOnce(Fd& fd);
  void Deliver(const Fd& fd, const std::string& text);
  void CloseOutput(Fd& fd);
  void Drain(Fd& fd);
  void EnforceStop();
  absl::Status ReapIfExited();
  void EnforcePipeDeadline();
  void KillGroup(int sig) const { group_.Signal(sig); }
  SubprocessResult Result();

  const SubprocessOptions& options_;
  const std::function<bool()>& should_stop_;
  const pid_t pid_;
  const GroupWatchdog& group_;
  Fd stdin_, stdout_, stderr_;
  size_t stdin_written_ = 0;
  TailBuffer stdout_buffer_, stderr_buffer_;
  SecretStreamMask stdout_mask_, stderr_mask_;
  bool stopped_ = false;
  bool sigkilled_ = false;
  bool exited_ = false;  // reaped, or waitpid failed
  int wait_status_ = 0;
  Clock::time_point kill_at_;
  Clock::time_point pipe_deadline_;
};

Supervisor::~Supervisor() {
  if (exited_) return;
  KillGroup(SIGKILL);
  ReapBlocking(pid_);
}

absl::StatusOr<SubprocessResult> Supervisor::Run() {
  while (!exited_ || OutputOpen()) {
    BATON_RETURN_IF_ERROR(PollOnce());
    EnforceStop();
    BATON_RETURN_IF_ERROR(ReapIfExited());
    EnforcePipeDeadline();
  }
  return Result();
}

int Supervisor::PollTimeoutMs() const {
  Clock::duration timeout = kIdlePollInterval;
  if (OutputOpen() || stdin_.valid()) timeout = kPollInterval;
  const Clock::time_point now = Clock::now();
  if (stopped_ && !sigkilled_) timeout = std::min(timeout, kill_at_ - now);
  if (exited_) timeout = std::min(timeout, pipe_deadline_ - now);
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return static_cast<int>(std::max<int64_t>(ms, 0));
}

absl::Status Supervisor::PollOnce() {
  std::array<pollfd, 3> fds;
  std::array<Fd*, 3> owners;
  nfds_t count = 0;
  const std::array<std::pair<Fd*, short>, 3> wanted = {
      {{&stdin_, POLLOUT}, {&stdout_, POLLIN}, {&stderr_, POLLIN}}};
  for (auto [fd, events] : wanted) {
    if (!fd->valid()) continue;
    fds[count] = pollfd{fd->get(), events, 0};
    owners[count++] = fd;
  }
  if (poll(fds.data(), count, PollTimeoutMs()) < 0) {
    return errno == EINTR ? absl::OkStatus() : SyscallError("poll", errno);
  }
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    if (owners[i] == &stdin_) {
      BATON_RETURN_IF_ERROR(WriteStdin());
    } else {
      BATON_RETURN_IF_ERROR(ReadOnce(*owners[i]).status());
    }
  }
  return absl::OkStatus();
}

absl::Status Supervisor::WriteStdin() {
  const std::string& data = options_.stdin_data;
  while (stdin_written_ < data.size()) {
    ssize_t n = write(stdin_.get(), data.data() + stdin_written_, data.size() - stdin_written_);
    if (n >= 0) {
      stdin_written_ += n;
    } else if (errno == EAGAIN) {
      return absl::OkStatus();
    } else if (errno == EPIPE) {
      break;  // the child stopped reading its input; that is its business
    } else if (errno != EINTR) {
      return SyscallError("write(stdin)", errno);
    }
  }
  stdin_.Reset();
  return absl::OkStatus();
}

// Returns the bytes read: 0 if none were ready or at EOF (then `fd` is closed).
absl::StatusOr<size_t> Supervisor::ReadOnce(Fd& fd) {
  SecretStreamMask& mask = &fd == &stdout_ ? stdout_mask_ : stderr_mask_;
  char chunk[kReadChunk];
  for (;;) {
    ssize_t n = read(fd.get(), chunk, sizeof chunk);
    if (n > 0) {
      Deliver(fd, mask.Feed(absl::string_view(chunk, static_cast<size_t>(n))));
      return n;
    }
    if (n == 0) {
      CloseOutput(fd);
      return 0;
    }
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return SyscallError("read(output)", errno);
  }
}

// Output reaches the tail and `on_output` masked, so that neither the tail's
// bound nor a consumer's can cut a secret in two.
void Supervisor::Deliver(const Fd& fd, const std::string& text) {
  if (text.empty()) return;
  (&fd == &stdout_ ? stdout_buffer_ : stderr_buffer_).Append(text.data(), text.size());
  if (options_.on_output) options_.on_output(&fd == &stderr_, text);
}

// Closes an output, delivering what its mask held back.
void Supervisor::CloseOutput(Fd& fd) {
  Deliver(fd, (&fd == &stdout_ ? stdout_mask_ : stderr_mask_).Finish());
  fd.Reset();
}

void Supervisor::Drain(Fd& fd) {
  for (int i = 0; i < kMaxDrainReads && fd.valid(); ++i) {
    absl::StatusOr<size_t> n = ReadOnce(fd);
    if (!n.ok() || *n == 0) break;
  }
  if (fd.valid()) CloseOutput(fd);
}

void Supervisor::EnforceStop() {
  if (exited_) return;
  if (!stopped_ && should_stop_ && should_stop_()) {
    stopped_ = true;
    // Capped so that an absurd grace cannot overflow the clock.
    absl::Duration grace = std::clamp(options_.kill_grace, absl::ZeroDuration(), absl::Hours(24));
    kill_at_ = Clock::now() + absl::ToChronoNanoseconds(grace);
    KillGroup(SIGTERM);
  }
  if (stopped_ && !sigkilled_ && Clock::now() >= kill_at_) {
    sigkilled_ = true;
    KillGroup(SIGKILL);
  }
}

absl::Status Supervisor::ReapIfExited() {
  if (exited_) return absl::OkStatus();
  pid_t reaped = waitpid(pid_, &wait_status_, WNOHANG);
  if (reaped == 0 || (reaped < 0 && errno == EINTR)) return absl::OkStatus();
  exited_ = true;
  if (reaped < 0) return SyscallError("waitpid", errno);
  pipe_deadline_ = Clock::now() + kPipeDrainGrace;
  stdin_.Reset();
  // The command's orphans may not outlive a stop, even if they ignored SIGTERM.
  if (stopped_) KillGroup(SIGKILL);
  return absl::OkStatus();
}

// An orphan that inherited our pipes must not keep us waiting: it is in the
// command's group, so end the group and keep what was already written.
void Supervisor::EnforcePipeDeadline() {
  if (!exited_ || !OutputOpen() || Clock::now() < pipe_deadline_) return;
  KillGroup(SIGKILL);
  Drain(stdout_);
  Drain(stderr_);
}

SubprocessResult Supervisor::Result() {
  SubprocessResult result;
  if (WIFEXITED(wait_status_)) result.exit_code = WEXITSTATUS(wait_status_);
  if (WIFSIGNALED(wait_status_)) result.term_signal = WTERMSIG(wait_status_);
  result.stopped = stopped_;
  stdout_buffer_.Finish(&result.stdout_tail, &result.stdout_truncated);
  stderr_buffer_.Finish(&result.stderr_tail, &result.stderr_truncated);
  return result;
}

}  // namespace

absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options,
                                               const std::function<bool()>& should_stop) {
  BATON_RETURN_IF_ERROR(ValidateOptions(options));
  IgnoreSigpipeOnce();
  BATON_ASSIGN_OR_RETURN(ChildPipes pipes, MakeChildPipes());
  BATON_ASSIGN_OR_RETURN(std::unique_ptr<GroupWatchdog> group, GroupWatchdog::Start());
  BATON_ASSIGN_OR_RETURN(pid_t pid, StartChild(options, pipes, group->pgid()));
  Supervisor supervisor(options, should_stop, pid, *group, std::move(pipes));
  return supervisor.Run();  // then `group` takes down whatever is left
}

}  // namespace baton
