#include "orchestrator/store/ready_listener.h"

#include <chrono>
#include <pqxx/pqxx>

#include "orchestrator/store/notify.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& conn, std::function<void()> on_ready)
      : pqxx::notification_receiver(conn, kReadyChannel), on_ready_(std::move(on_ready)) {}
  void operator()(const std::string&, int) override { on_ready_(); }

 private:
  std::function<void()> on_ready_;
};

}  // namespace

ReadyListener::ReadyListener(std::string url, std::function<void()> on_ready)
    : url_(std::move(url)), on_ready_(std::move(on_ready)) {}

ReadyListener::~ReadyListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ReadyListener::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ReadyListener::Loop() {
  int failures = 0;
  while (!stop_) {
    if (ListenOnce()) {
      failures = 0;
      continue;
    }
    failures = std::min(failures + 1, 5);
    // Backoff 0.2 s .. 3.2 s, checking for stop every 100 ms.
    for (int i = 0; i < (1 << failures) && !stop_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

bool ReadyListener::ListenOnce() {
  try {
    pqxx::connection conn(url_);
    Receiver receiver(conn, on_ready_);
    on_ready_();  // anything made ready while we were not listening
    while (!stop_) conn.await_notification(1, 0);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("ready listener: {}", e.what());
    return false;
  }
}

}  // namespace baton::store
