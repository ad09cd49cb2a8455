// Small helpers for tests that touch files and processes: a temporary folder,
// reading a file, waiting for a condition, telling that a process is gone,
// finding the live members of a process group.
// Header-only, so unit tests need no support library.
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace baton::testing {

// A fresh folder under the system temp directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "baton_test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX"));
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `done` every 10 ms until it holds (true) or `timeout` passes (false).
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, ...
// Empty when the process is gone.
inline std::vector<std::string> ProcStatFields(const std::string& pid) {
  const std::string stat = ReadFile("/proc/" + pid + "/stat");
  const size_t paren = stat.rfind(')');
  std::vector<std::string> fields;
  if (paren == std::string::npos) return fields;
  std::istringstream rest(stat.substr(paren + 1));
  for (std::string field; fields.size() < 3 && rest >> field;) fields.push_back(field);
  return fields;
}

// A zombie counts as gone: it no longer runs, and whether init reaps it
// promptly depends on the machine, not on the code under test.
inline bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::vector<std::string> fields = ProcStatFields(std::to_string(pid));
  return !fields.empty() && fields[0] == "Z";
}

// The process group of `pid`, or -1 when it is gone.
inline pid_t ProcessGroupOf(pid_t pid) {
  const std::vector<std::string> fields = ProcStatFields(std::to_string(pid));
  return fields.size() == 3 ? static_cast<pid_t>(std::stol(fields[2])) : -1;
}

// The processes of group `pgid` that still run (zombies do not count).
inline std::vector<pid_t> LiveProcessesInGroup(pid_t pgid) {
  std::vector<pid_t> live;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::vector<std::string> fields = ProcStatFields(name);
    if (fields.size() == 3 && fields[0] != "Z" && fields[2] == std::to_string(pgid)) {
      live.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return live;
}

}  // namespace baton::testing
