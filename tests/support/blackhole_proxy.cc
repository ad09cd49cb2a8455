#include "tests/support/blackhole_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/child_process.h"

namespace baton::testing {
namespace {

constexpr size_t kMaxBuffered = 256 << 10;  // per direction, then reading pauses
constexpr int kConnectTimeoutMs = 2000;

absl::StatusOr<sockaddr_in> ParseAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 ||
      port > 65535 || inet_pton(AF_INET, text.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": expected IPv4:PORT"));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A non-blocking connect, bounded; -1 when the upstream refuses or is silent.
int Connect(const sockaddr_in& upstream) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&upstream), sizeof(upstream)) == 0) return fd;
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t len = sizeof(error);
  if (errno != EINPROGRESS || poll(&p, 1, kConnectTimeoutMs) != 1 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// One client connection and its upstream connection (-1 until connected).
struct Pair {
  int client = -1;
  int server = -1;
  std::string to_server;
  std::string to_client;
  bool client_eof = false;
  bool server_eof = false;
  bool broken = false;

  // Done once a side is gone and what it sent has been passed on.
  bool Done() const {
    return broken || (client_eof && to_server.empty()) || (server_eof && to_client.empty());
  }
  void Close() {
    if (client >= 0) close(client);
    if (server >= 0) close(server);
    client = server = -1;
  }
};

// Reads what `fd` has into `buffer`; false at end of stream or on an error.
bool ReadInto(int fd, std::string& buffer, bool& eof) {
  char chunk[16 << 10];
  const ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n > 0) {
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  eof = true;
  return n == 0;
}

// Writes what it can of `buffer` to `fd`; false on an error.
bool WriteFrom(int fd, std::string& buffer) {
  const ssize_t n = send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL);
  if (n >= 0) {
    buffer.erase(0, static_cast<size_t>(n));
    return true;
  }
  return errno == EAGAIN || errno == EINTR;
}

short Interest(const std::string& inbound, bool eof, const std::string& outbound) {
  short events = 0;
  if (!eof && inbound.size() < kMaxBuffered) events |= POLLIN;
  if (!outbound.empty()) events |= POLLOUT;
  return events;
}

// Moves bytes for one side of a pair given what poll said about it.
void Serve(short revents, int fd, std::string& inbound, bool& eof, std::string& outbound,
           bool& broken) {
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    if (!ReadInto(fd, inbound, eof)) broken = true;
  }
  if ((revents & POLLOUT) && !WriteFrom(fd, outbound)) broken = true;
}

}  // namespace

struct BlackholeProxy::Loop {
  int listen_fd = -1;
  int wake[2] = {-1, -1};
  sockaddr_in upstream{};
  std::atomic<bool> blackholed{false};
  std::atomic<bool> applied{false};  // what the last step did
  std::atomic<bool> stop{false};
  std::atomic<int> open{0};
  std::vector<Pair> pairs;  // the loop thread's only

  ~Loop() {
    for (Pair& p : pairs) p.Close();
    for (int fd : {listen_fd, wake[0], wake[1]}) {
      if (fd >= 0) close(fd);
    }
  }

  void Wake() {
    const char byte = 1;
    (void)!write(wake[1], &byte, 1);
  }

  void Accept() {
    while (true) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      pairs.push_back(Pair{fd});
    }
  }

  void ConnectHeld() {
    for (Pair& p : pairs) {
      if (p.server < 0 && !p.broken) {
        p.server = Connect(upstream);
        p.broken = p.server < 0;
      }
    }
  }

  void Step() {
    const bool hole = blackholed.load();
    applied = hole;
    if (!hole) ConnectHeld();
    std::vector<pollfd> fds = {{wake[0], POLLIN, 0}, {listen_fd, POLLIN, 0}};
    if (!hole) {
      for (const Pair& p : pairs) {
        fds.push_back({p.client, Interest(p.to_server, p.client_eof, p.to_client), 0});
        fds.push_back({p.server, Interest(p.to_client, p.server_eof, p.to_server), 0});
      }
    }
    if (poll(fds.data(), fds.size(), 1000) < 0) return;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      (void)!read(wake[0], drain, sizeof(drain));
    }
    if (!hole) {
      for (size_t i = 0; i < pairs.size(); ++i) {
        Pair& p = pairs[i];
        Serve(fds[2 + 2 * i].revents, p.client, p.to_server, p.client_eof, p.to_client, p.broken);
        Serve(fds[3 + 2 * i].revents, p.server, p.to_client, p.server_eof, p.to_server, p.broken);
      }
      for (auto it = pairs.begin(); it != pairs.end();) {
        if (it->Done()) {
          it->Close();
          it = pairs.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (fds[1].revents & POLLIN) Accept();
    open = static_cast<int>(pairs.size());
  }

  void Run() {
    while (!stop.load()) Step();
  }
};

absl::StatusOr<std::unique_ptr<BlackholeProxy>> BlackholeProxy::Start(const std::string& listen,
                                                                      const std::string& upstream) {
  auto listen_addr = ParseAddress(listen);
  if (!listen_addr.ok()) return listen_addr.status();
  auto upstream_addr = ParseAddress(upstream);
  if (!upstream_addr.ok()) return upstream_addr.status();
  auto loop = std::make_unique<Loop>();
  loop->upstream = *upstream_addr;
  loop->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(loop->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in bound = *listen_addr;
  socklen_t len = sizeof(bound);
  if (loop->listen_fd < 0 ||
      bind(loop->listen_fd, reinterpret_cast<const sockaddr*>(&bound), sizeof(bound)) != 0 ||
      ::listen(loop->listen_fd, 128) != 0 ||
      getsockname(loop->listen_fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0 ||
      pipe2(loop->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("proxy on ", listen, ": ", std::strerror(errno)));
  }
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &bound.sin_addr, ip, sizeof(ip));
  return std::unique_ptr<BlackholeProxy>(
      new BlackholeProxy(std::move(loop), absl::StrCat(ip, ":", ntohs(bound.sin_port))));
}

BlackholeProxy::BlackholeProxy(std::unique_ptr<Loop> loop, std::string address)
    : loop_(std::move(loop)), address_(std::move(address)) {
  thread_ = std::thread([loop = loop_.get()] { loop->Run(); });
}

BlackholeProxy::~BlackholeProxy() {
  loop_->stop = true;
  loop_->Wake();
  thread_.join();
}

void BlackholeProxy::Set(bool blackholed) {
  loop_->blackholed = blackholed;
  loop_->Wake();
  // Once a step has begun in the new mode, no byte moves against it.
  WaitUntil(absl::Seconds(5), [&] { return loop_->applied.load() == blackholed; });
}

void BlackholeProxy::Blackhole() { Set(true); }
void BlackholeProxy::Resume() { Set(false); }

int BlackholeProxy::connections() const { return loop_->open.load(); }

}  // namespace baton::testing
