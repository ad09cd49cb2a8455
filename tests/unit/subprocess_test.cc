#include "common/process/subprocess.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_files.h"

namespace baton {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;
using ::baton::testing::LiveProcessesInGroup;
using ::baton::testing::ProcessGone;
using ::baton::testing::ProcessGroupOf;
using ::baton::testing::ReadFile;
using ::baton::testing::TempDir;
using ::baton::testing::WaitUntil;

pid_t PidFromFile(const std::string& path) {
  pid_t pid = 0;
  WaitUntil([&] { return std::istringstream(ReadFile(path)) >> pid && pid > 0; },
            std::chrono::seconds(5));
  return pid;
}

SubprocessOptions Shell(const std::string& script, std::vector<std::string> args = {}) {
  SubprocessOptions options;
  options.argv = {"sh", "-c", script, "sh"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  return options;
}

const std::function<bool()> kNeverStop = [] { return false; };

// Stops once `path` has content: the script writes it when it is ready to be
// stopped, so no test depends on a guessed delay.
class StopWhenFileWritten {
 public:
  explicit StopWhenFileWritten(std::string path) : path_(std::move(path)) {}
  bool operator()() {
    if (!stop_at_ && !ReadFile(path_).empty()) stop_at_ = Clock::now();
    return stop_at_.has_value();
  }
  std::chrono::milliseconds SinceStop() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *stop_at_);
  }

 private:
  std::string path_;
  std::optional<Clock::time_point> stop_at_;
};

TEST(SubprocessTest, CapturesExitCodeAndBothOutputs) {
  auto result = RunSubprocess(Shell("echo out; echo err >&2; exit 7"), kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_EQ(result->stdout_tail, "out\n");
  EXPECT_EQ(result->stderr_tail, "err\n");
  EXPECT_FALSE(result->stopped);
  EXPECT_FALSE(result->stdout_truncated);
}

TEST(SubprocessTest, FeedsStdin) {
  SubprocessOptions options;
  options.argv = {"cat"};
  options.stdin_data = "hello\nworld";
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_tail, "hello\nworld");
}

TEST(SubprocessTest, ReportsDeathBySignal) {
  auto result = RunSubprocess(Shell("kill -TERM $$"), kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_EQ(result->term_signal, SIGTERM);
}

TEST(SubprocessTest, EmptyArgvIsInvalid) {
  auto result = RunSubprocess(SubprocessOptions{}, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SubprocessTest, MissingCommandIsNotFound) {
  SubprocessOptions options;
  options.argv = {"baton-no-such-command"};
  auto result = RunSubprocess(options, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("\"baton-no-such-command\" not found in PATH"));
}

TEST(SubprocessTest, MissingCommandByPathIsNotFound) {
  SubprocessOptions options;
  options.argv = {"/nonexistent/baton-tool"};
  auto result = RunSubprocess(options, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("No such file or directory"));
}

TEST(SubprocessTest, NonExecutableFileIsFailedPrecondition) {
  TempDir dir;
  std::ofstream(dir.File("script")) << "#!/bin/sh\necho hi\n";
  chmod(dir.File("script").c_str(), 0644);
  SubprocessOptions options;
  options.argv = {dir.File("script")};
  auto result = RunSubprocess(options, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("Permission denied"));
}

TEST(SubprocessTest, MissingWorkingDirIsNotFound) {
  SubprocessOptions options = Shell("true");
  options.working_dir = "/nonexistent/baton-dir";
  auto result = RunSubprocess(options, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("cannot chdir to \"/nonexistent/baton-dir\""));
}

TEST(SubprocessTest, AppliesEnvOverInheritedEnvironmentAndWorkingDir) {
  TempDir dir;
  setenv("BATON_TEST_INHERITED", "inherited", 1);
  SubprocessOptions options = Shell("echo \"$BATON_TEST_INHERITED $BATON_X $(pwd)\"");
  options.env = {{"BATON_X", "added"}};
  options.working_dir = dir.path();
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_tail,
            "inherited added " + std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(SubprocessTest, CommandIsLookedUpInThePathFromEnv) {
  SubprocessOptions options = Shell("true");
  options.env = {{"PATH", "/nonexistent"}};
  auto result = RunSubprocess(options, kNeverStop);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("PATH \"/nonexistent\""));
}

TEST(SubprocessTest, KeepsTheTailOfOutput) {
  SubprocessOptions options = Shell("printf 0123456789; printf abcdefgh >&2");
  options.max_stdout_bytes = 4;
  options.max_stderr_bytes = 3;
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_tail, "6789");
  EXPECT_EQ(result->stderr_tail, "fgh");
  EXPECT_TRUE(result->stdout_truncated);
  EXPECT_TRUE(result->stderr_truncated);
}

TEST(SubprocessTest, LargeStdoutKeepsLastMegabyte) {
  auto result =
      RunSubprocess(Shell("head -c 5000000 /dev/zero | tr '\\0' x; printf END"), kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_tail.size(), size_t{1} << 20);
  EXPECT_THAT(result->stdout_tail, EndsWith("xxxEND"));
  EXPECT_TRUE(result->stdout_truncated);
}

// cat writes as it reads: if the caller wrote stdin without reading stdout,
// both would block on full pipes.
TEST(SubprocessTest, LargeStdinEchoedBackDoesNotDeadlock) {
  SubprocessOptions options;
  options.argv = {"cat"};
  for (int i = 0; options.stdin_data.size() < 4'000'000; ++i) {
    options.stdin_data += std::to_string(i) + "\n";
  }
  options.max_stdout_bytes = 8 << 20;
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_tail.size(), options.stdin_data.size());
  EXPECT_TRUE(result->stdout_tail == options.stdin_data);
}

TEST(SubprocessTest, ChildThatIgnoresStdinDoesNotHurtTheCaller) {
  SubprocessOptions options = Shell("exit 0");
  options.stdin_data = std::string(4 << 20, 'x');
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
}

TEST(SubprocessTest, OrphanHoldingThePipesIsKilledAfterLeaderExits) {
  TempDir dir;
  const Clock::time_point start = Clock::now();
  auto result =
      RunSubprocess(Shell("sleep 30 & echo $! > \"$1\"; echo done", {dir.File("pid")}), kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_tail, "done\n");
  pid_t orphan = PidFromFile(dir.File("pid"));
  ASSERT_GT(orphan, 0);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(orphan); }, std::chrono::seconds(2)));
}

TEST(SubprocessTest, StopSendsSigtermToTheWholeGroup) {
  TempDir dir;
  SubprocessOptions options =
      Shell("sleep 30 & echo $! > \"$1\"; sleep 30; echo never", {dir.File("pid")});
  options.kill_grace = absl::Seconds(10);
  StopWhenFileWritten stop(dir.File("pid"));
  auto result = RunSubprocess(options, std::ref(stop));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(stop.SinceStop(), std::chrono::seconds(3));  // well under the grace
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_EQ(result->stdout_tail, "");
  pid_t grandchild = PidFromFile(dir.File("pid"));
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }, std::chrono::seconds(2)));
}

TEST(SubprocessTest, SigtermIgnoredIsFollowedBySigkillAfterTheGrace) {
  TempDir dir;
  SubprocessOptions options = Shell(
      "trap '' TERM; sleep 30 & echo $! > \"$1\"; while :; do sleep 0.05; done", {dir.File("pid")});
  options.kill_grace = absl::Milliseconds(500);
  StopWhenFileWritten stop(dir.File("pid"));
  auto result = RunSubprocess(options, std::ref(stop));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GE(stop.SinceStop(), std::chrono::milliseconds(450));
  EXPECT_LT(stop.SinceStop(), std::chrono::seconds(3));
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(result->term_signal, SIGKILL);
  pid_t grandchild = PidFromFile(dir.File("pid"));
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }, std::chrono::seconds(2)));
}

TEST(SubprocessTest, StopRequestedBeforeStartStillRunsAndKills) {
  auto result = RunSubprocess(Shell("sleep 30"), [] { return true; });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stopped);
}

TEST(SubprocessTest, EmptyShouldStopMeansRunToCompletion) {
  auto result = RunSubprocess(Shell("echo ok"), std::function<bool()>());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_tail, "ok\n");
}

TEST(SubprocessTest, SecretsAreMaskedAsReadBeforeTheTailIsCut) {
  // The secret comes in two writes; unmasked, the kept tail would start
  // inside it.
  SubprocessOptions options = Shell(
      "printf 'key Zq7vKx9pW2m' >&2; sleep 0.1; printf 'R5vT8nL3hJ6 end' >&2;"
      " head -c 90 /dev/zero | tr '\\0' x >&2");
  options.secrets = SecretMask({"Zq7vKx9pW2mR5vT8nL3hJ6"});
  options.max_stderr_bytes = 100;
  std::string seen;
  options.on_output = [&](bool, absl::string_view chunk) {
    seen.append(chunk.data(), chunk.size());
  };
  auto result = RunSubprocess(options, kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(seen, "key *** end" + std::string(90, 'x'));
  EXPECT_EQ(result->stderr_tail, "ey *** end" + std::string(90, 'x'));
  EXPECT_TRUE(result->stderr_truncated);
}

TEST(SubprocessTest, LeftoversInTheGroupAreKilledWhenTheCallReturns) {
  TempDir dir;
  auto result = RunSubprocess(
      Shell("sleep 30 </dev/null >/dev/null 2>&1 & echo $! > \"$1\"", {dir.File("pid")}),
      kNeverStop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  pid_t detached = PidFromFile(dir.File("pid"));
  ASSERT_GT(detached, 0);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(detached); }, std::chrono::seconds(2)));
}

// The caller is SIGKILLed while the command runs: the command, a grandchild
// (its `sleep`) and a background job all die with it, before any of them
// writes its marker.
TEST(SubprocessTest, KilledCallerTakesTheWholeGroupWithIt) {
  TempDir dir;
  const std::string script =
      "(sleep 2; touch \"$1/job\") & echo $$ > \"$1/pid\"; sleep 2; touch \"$1/command\"; wait";
  const Clock::time_point start = Clock::now();
  const pid_t caller = fork();
  if (caller == 0) {
    (void)RunSubprocess(Shell(script, {dir.path()}), kNeverStop);
    _exit(0);
  }
  ASSERT_GT(caller, 0);
  const pid_t group = ProcessGroupOf(PidFromFile(dir.File("pid")));
  ASSERT_GT(group, 0);
  // The shell, its job and their two sleeps run.
  ASSERT_TRUE(
      WaitUntil([&] { return LiveProcessesInGroup(group).size() >= 4; }, std::chrono::seconds(1)));
  kill(caller, SIGKILL);
  waitpid(caller, nullptr, 0);
  EXPECT_TRUE(
      WaitUntil([&] { return LiveProcessesInGroup(group).empty(); }, std::chrono::seconds(1)));
  // Past the time the markers were due, none was written.
  const auto written = [&] {
    return std::filesystem::exists(dir.File("job")) || std::filesystem::exists(dir.File("command"));
  };
  EXPECT_FALSE(WaitUntil(written, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      start + std::chrono::milliseconds(2500) - Clock::now())));
  EXPECT_THAT(LiveProcessesInGroup(group), IsEmpty());
}

}  // namespace
}  // namespace baton
