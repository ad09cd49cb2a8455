#include "tests/support/test_postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "orchestrator/store/embedded_postgres.h"

namespace baton::testing {
namespace {

struct Shared {
  std::string dir;
  std::unique_ptr<store::EmbeddedPostgres> pg;

  ~Shared() {
    pg.reset();  // stops the server before its folder goes
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Shared& Instance() {
  static Shared* shared = [] {
    auto* s = new Shared();
    std::string pattern = "/tmp/baton-test.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "cannot create a temporary folder\n";
      std::abort();
    }
    chmod(pattern.c_str(), 0755);  // the postgres user must reach its data folder
    s->dir = pattern;
    std::atexit([] { delete shared; });
    return s;
  }();
  return *shared;
}

store::EmbeddedPostgres& Server() {
  static std::once_flag once;
  std::call_once(once, [] {
    store::EmbeddedPostgresOptions options;
    options.data_dir = Instance().dir + "/pg";
    options.durable = false;
    auto pg = store::EmbeddedPostgres::Start(options);
    if (!pg.ok()) {
      std::cerr << "test PostgreSQL did not start: " << pg.status().ToString() << "\n";
      std::abort();
    }
    Instance().pg = *std::move(pg);
  });
  return *Instance().pg;
}

}  // namespace

const std::string& TestTempDir() { return Instance().dir; }

std::string FreshDatabaseUrl(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string name = absl::StrCat(prefix, "_", getpid(), "_", counter++);
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_';
  absl::Status s = Server().CreateDatabase(name);
  if (!s.ok()) {
    std::cerr << "cannot create test database: " << s.ToString() << "\n";
    std::abort();
  }
  return Server().UrlFor(name);
}

}  // namespace baton::testing
