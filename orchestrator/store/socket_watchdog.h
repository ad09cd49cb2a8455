// Bounds blocking database calls from the client side. libpq has no
// deadline of its own for a call in flight: a server (or a proxy, or a
// network) that stops answering without closing the connection leaves it
// waiting forever, and TCP keepalives do not help when something on the way
// still acknowledges packets. The watchdog shuts a connection's socket down
// when its deadline passes, which makes the blocked call fail at once with a
// broken connection; the pool then discards the connection.
//
// Thread-safe. One thread, which looks at least every 200 ms: a socket is
// shut down within 200 ms after its deadline.
#pragma once

#include <cstdint>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace baton::store {

class SocketWatchdog {
 public:
  SocketWatchdog();
  ~SocketWatchdog();  // stops the thread; armed sockets are left alone
  SocketWatchdog(const SocketWatchdog&) = delete;
  SocketWatchdog& operator=(const SocketWatchdog&) = delete;

  // Watches socket `fd` until `deadline`; returns a ticket for Disarm. An
  // fd < 0 or an InfiniteFuture deadline is not watched.
  int64_t Arm(int fd, absl::Time deadline);

  // Stops watching; true when the deadline passed and the socket was shut down.
  bool Disarm(int64_t ticket);

 private:
  struct Watch {
    int fd;
    absl::Time deadline;
    bool fired = false;
  };
  void Run();

  absl::Mutex mu_;
  std::map<int64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
  int64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace baton::store
