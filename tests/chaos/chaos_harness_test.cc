// The soak's own machinery: the fault plan is a pure function of its seed
// and covers every kind early, and the blackholing proxy really holds
// traffic both ways, without closing or resetting anything, then resumes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/chaos/fault_plan.h"
#include "tests/support/blackhole_proxy.h"

namespace baton::chaos {
namespace {

std::vector<std::string> Draw(uint64_t seed, int n) {
  FaultPlan plan(seed, {"w1", "w2", "w3", "w4"}, {"o1", "o2"});
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const Fault f = plan.Next();
    out.push_back(absl::StrCat(Describe(f), " after ", absl::FormatDuration(f.gap_before)));
  }
  return out;
}

TEST(FaultPlan, IsAFunctionOfItsSeed) {
  EXPECT_EQ(Draw(42, 30), Draw(42, 30));
  EXPECT_NE(Draw(42, 30), Draw(43, 30));
}

TEST(FaultPlan, EveryKindInEachRoundWithinItsBounds) {
  FaultPlan plan(7, {"w1", "w2"}, {"o1", "o2"});
  for (int round = 0; round < 3; ++round) {
    std::set<FaultKind> kinds;
    for (size_t i = 0; i < std::size(kAllFaultKinds); ++i) {
      const Fault f = plan.Next();
      kinds.insert(f.kind);
      EXPECT_GE(f.gap_before, absl::Seconds(3));
      EXPECT_LE(f.gap_before, absl::Seconds(8));
      EXPECT_LE(f.hold, absl::Seconds(25)) << Describe(f);
      EXPECT_FALSE(f.target.empty()) << Describe(f);
    }
    EXPECT_EQ(kinds.size(), std::size(kAllFaultKinds)) << "round " << round;
  }
}

// A loopback listener; Accept is bounded.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int Accept(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1 ? accept(fd_, nullptr, nullptr) : -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int ConnectTo(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port)) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  return connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ? fd : -1;
}

// What arrives on `fd` within `timeout_ms`: the bytes, "<eof>", "<error>" or "" (nothing).
std::string Receive(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return "";
  char buffer[256];
  const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
  if (n == 0) return "<eof>";
  if (n < 0) return "<error>";
  return std::string(buffer, static_cast<size_t>(n));
}

void SendText(int fd, const std::string& text) {
  ASSERT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

TEST(BlackholeProxy, HoldsTrafficBothWaysWithoutClosingThenResumes) {
  Listener upstream;
  auto proxy = testing::BlackholeProxy::Start("127.0.0.1:0", upstream.address());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int client = ConnectTo((*proxy)->address());
  ASSERT_GE(client, 0);
  const int server = upstream.Accept(2000);
  ASSERT_GE(server, 0);
  SendText(client, "ping");
  EXPECT_EQ(Receive(server, 2000), "ping");
  SendText(server, "pong");
  EXPECT_EQ(Receive(client, 2000), "pong");

  (*proxy)->Blackhole();
  SendText(client, "held-up");
  SendText(server, "held-down");
  const int late = ConnectTo((*proxy)->address());  // the kernel still completes handshakes
  ASSERT_GE(late, 0);
  EXPECT_EQ(Receive(server, 700), "") << "nothing passes, and nothing is closed or reset";
  EXPECT_EQ(Receive(client, 10), "");
  EXPECT_EQ(upstream.Accept(10), -1) << "a client accepted while blackholed is not connected on";
  EXPECT_EQ((*proxy)->connections(), 2);

  (*proxy)->Resume();
  EXPECT_EQ(Receive(server, 2000), "held-up");
  EXPECT_EQ(Receive(client, 2000), "held-down");
  const int late_server = upstream.Accept(3000);
  EXPECT_GE(late_server, 0);
  close(client);
  EXPECT_EQ(Receive(server, 2000), "<eof>");
  for (int fd : {server, late, late_server}) close(fd);
}

}  // namespace
}  // namespace baton::chaos
