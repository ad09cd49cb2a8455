// baton_blackhole_proxy LISTEN UPSTREAM: a BlackholeProxy as a process, for
// tests that need it inside a network namespace. SIGUSR1 blackholes, SIGUSR2
// resumes, SIGTERM or SIGINT ends it. Each switch prints one line once done:
// "blackholed: N connection(s) held" or "forwarding: N connection(s)".
#include <signal.h>

#include <iostream>

#include "tests/support/blackhole_proxy.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: baton_blackhole_proxy LISTEN_IP:PORT UPSTREAM_IP:PORT\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the proxy's thread starts
  auto proxy = baton::testing::BlackholeProxy::Start(argv[1], argv[2]);
  if (!proxy.ok()) {
    std::cerr << proxy.status().ToString() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*proxy)->address() << ", forwarding to " << argv[2] << std::endl;
  while (true) {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number == SIGUSR1) {
      (*proxy)->Blackhole();
      std::cout << "blackholed: " << (*proxy)->connections() << " connection(s) held" << std::endl;
    } else if (signal_number == SIGUSR2) {
      (*proxy)->Resume();
      std::cout << "forwarding: " << (*proxy)->connections() << " connection(s)" << std::endl;
    } else {
      return 0;
    }
  }
}
