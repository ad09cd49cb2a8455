// A TCP proxy for fault injection: forwards every connection accepted on its
// listening address to an upstream address, byte for byte, until told to
// blackhole. While blackholed it forwards nothing in either direction and
// opens no upstream connection for newly accepted clients, yet closes and
// resets nothing: both ends see a silent, half-open path, as behind a
// switch that drops everything (their kernels still acknowledge what was
// already sent, so TCP keepalives do not notice). Resume forwards what was
// held and carries on. A peer that closes is closed on the other side once
// forwarding runs.
//
// IPv4 only. Thread-safe: Blackhole/Resume/connections from any thread; the
// forwarding runs on a thread of its own.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace baton::testing {

class BlackholeProxy {
 public:
  // Listens on `listen` ("IP:PORT", port 0: any free port) and forwards to
  // `upstream` ("IP:PORT"). INTERNAL when the socket cannot be bound.
  static absl::StatusOr<std::unique_ptr<BlackholeProxy>> Start(const std::string& listen,
                                                               const std::string& upstream);
  ~BlackholeProxy();  // stops the thread and closes every socket
  BlackholeProxy(const BlackholeProxy&) = delete;
  BlackholeProxy& operator=(const BlackholeProxy&) = delete;

  const std::string& address() const { return address_; }  // the bound "IP:PORT"

  // Both return once the forwarding thread has switched (bounded: 5 s).
  void Blackhole();
  void Resume();
  // Client connections open now (forwarded or held).
  int connections() const;

 private:
  struct Loop;
  BlackholeProxy(std::unique_ptr<Loop> loop, std::string address);
  void Set(bool blackholed);

  std::unique_ptr<Loop> loop_;
  std::string address_;
  std::thread thread_;
};

}  // namespace baton::testing
