// Listens for "tasks ready" notifications (store/notify.h) on a connection of
// its own and calls `on_ready` for each, from its own thread. Reconnects with
// backoff when the connection breaks, and then calls `on_ready` once, since
// notifications may have been missed. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace baton::store {

class ReadyListener {
 public:
  ReadyListener(std::string url, std::function<void()> on_ready);
  ~ReadyListener();  // stops the thread (bounded: at most ~1 s)
  ReadyListener(const ReadyListener&) = delete;
  ReadyListener& operator=(const ReadyListener&) = delete;

  void Start();

 private:
  void Loop();
  bool ListenOnce();  // false when the connection failed

  const std::string url_;
  const std::function<void()> on_ready_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace baton::store
