// Background loop that ends attempts whose lease expired (worker killed, host
// gone, network cut) so their tasks are leased again. Safe to run in every
// orchestrator replica: the store claims expired rows with SKIP LOCKED.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "orchestrator/store/lease_store.h"

namespace baton {

class LeaseReaper {
 public:
  LeaseReaper(store::LeaseStore& leases, absl::Duration interval)
      : leases_(leases), interval_(interval) {}
  ~LeaseReaper() { Stop(); }
  LeaseReaper(const LeaseReaper&) = delete;
  LeaseReaper& operator=(const LeaseReaper&) = delete;

  void Start();
  void Stop();  // bounded by one store call

 private:
  void Loop();
  void SweepOnce();

  store::LeaseStore& leases_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace baton
