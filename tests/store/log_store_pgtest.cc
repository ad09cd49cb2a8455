// LogStore against a real PostgreSQL: appends fenced by worker and token (an
// ended attempt's last lines still count), the per-attempt bound with its one
// marker line and counters, and reading a run's lines by task and resume id.
#include <thread>

#include "common/base/log_text.h"
#include "orchestrator/store/log_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kTwoTasks[] = R"yaml(name: logged
tasks:
  - {name: a, handler: noop}
  - {name: b, handler: noop}
)yaml";

class LogStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    logs_ = std::make_unique<LogStore>(*pool_);
  }

  // Leases both tasks of a fresh run to a fresh worker.
  void LeaseBoth() {
    run_id_ = StartRun(kTwoTasks);
    worker_id_ = RegisterWorker();
    auto leased = leases_->LeaseTasks(worker_id_, {"default"}, 2, absl::Seconds(30));
    ASSERT_TRUE(leased.ok()) << leased.status();
    ASSERT_THAT(*leased, SizeIs(2));
    for (const LeaseRecord& l : *leased) {
      claims_[l.task_name] = {l.task_run_id, l.attempt, l.lease_token};
    }
  }

  static LogBatch Batch(const engine::AttemptClaim& claim, std::vector<std::string> messages,
                        const std::string& stream = "stdout") {
    LogBatch batch{claim, {}, 0};
    for (auto& m : messages) batch.lines.push_back({absl::Now(), stream, "info", std::move(m)});
    return batch;
  }

  std::vector<std::string> Messages(const std::string& task = "", int64_t after = 0) {
    auto page = logs_->LinesAfter(run_id_, task, after, 10000);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const RunLogRecord& r : page->lines) out.push_back(r.task_name + ":" + r.line.message);
    }
    return out;
  }

  std::unique_ptr<LogStore> logs_;
  std::string run_id_;
  std::string worker_id_;
  std::map<std::string, engine::AttemptClaim> claims_;
};

TEST_F(LogStoreTest, AppendsInOrderAndFiltersByTask) {
  LeaseBoth();
  auto out = logs_->Append(
      worker_id_, {Batch(claims_["a"], {"a1", "a2"}), Batch(claims_["b"], {"b1"}, "stderr")});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].stored, 2);
  EXPECT_EQ((*out)[1].stored, 1);
  ASSERT_TRUE(logs_->Append(worker_id_, {Batch(claims_["a"], {"a3"})}).ok());
  EXPECT_THAT(Messages(), ElementsAre("a:a1", "a:a2", "b:b1", "a:a3"));
  EXPECT_THAT(Messages("a"), ElementsAre("a:a1", "a:a2", "a:a3"));
  EXPECT_THAT(Messages("b"), ElementsAre("b:b1"));

  auto page = logs_->LinesAfter(run_id_, "", 0, 10);
  ASSERT_TRUE(page.ok());
  const RunLogRecord& first = page->lines[0];
  EXPECT_EQ(first.attempt, 1);
  EXPECT_EQ(first.worker_id, worker_id_);
  EXPECT_EQ(first.line.stream, "stdout");
  EXPECT_EQ(page->lines[2].line.stream, "stderr");
  // Resuming after the second line's id gives the rest.
  EXPECT_THAT(Messages("", page->lines[1].id), ElementsAre("b:b1", "a:a3"));
  EXPECT_EQ(GetRun(run_id_).tasks[0].attempts[0].log_lines, 3);
}

TEST_F(LogStoreTest, RefusesBatchesOfOtherWorkersOrTokensAndStoresNothingOfThem) {
  LeaseBoth();
  const std::string stranger = RegisterWorker({"default"}, "stranger");
  auto out = logs_->Append(stranger, {Batch(claims_["a"], {"not mine"})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*out)[0].refused.message(), HasSubstr("not leased to this worker"));

  engine::AttemptClaim forged = claims_["a"];
  forged.lease_token = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  out = logs_->Append(worker_id_, {Batch(forged, {"forged"}), Batch(claims_["b"], {"ok"})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE((*out)[0].refused.ok());
  EXPECT_TRUE((*out)[1].refused.ok());
  EXPECT_THAT(Messages(), ElementsAre("b:ok"));
}

TEST_F(LogStoreTest, AcceptsTheLastLinesOfAnEndedAttempt) {
  LeaseBoth();
  engine::ReportedOutcome done;
  done.succeeded = true;
  done.result_json = "{}";
  ASSERT_TRUE(leases_->CompleteAttempt(claims_["a"], done).ok());
  auto out = logs_->Append(worker_id_, {Batch(claims_["a"], {"after the end"})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE((*out)[0].refused.ok());
  EXPECT_THAT(Messages("a"), ElementsAre("a:after the end"));
}

TEST_F(LogStoreTest, KeepsAtMostTheBoundPerAttemptWithOneMarker) {
  LeaseBoth();
  int stored = 0, dropped = 0;
  for (int round = 0; round < 3; ++round) {  // 3 x 1000 lines: 2000 fit
    std::vector<std::string> lines;
    for (int i = 0; i < kMaxLogLinesPerBatch; ++i) lines.push_back(absl::StrCat(round, "-", i));
    auto out = logs_->Append(worker_id_, {Batch(claims_["a"], lines)});
    ASSERT_TRUE(out.ok()) << out.status();
    stored += (*out)[0].stored;
    dropped += (*out)[0].dropped;
  }
  EXPECT_EQ(stored, kMaxLogLinesPerAttempt);
  EXPECT_EQ(dropped, 3 * kMaxLogLinesPerBatch - kMaxLogLinesPerAttempt);
  // The worker's own drops are counted too; the marker is written once.
  LogBatch more = Batch(claims_["a"], {"still more"});
  more.dropped_by_worker = 5;
  ASSERT_TRUE(logs_->Append(worker_id_, {more}).ok());

  std::vector<std::string> a = Messages("a");
  ASSERT_THAT(a, SizeIs(kMaxLogLinesPerAttempt + 1));
  EXPECT_EQ(a[kMaxLogLinesPerAttempt - 1], "a:1-999");
  EXPECT_THAT(a.back(), HasSubstr("lines were dropped"));
  const AttemptRecord attempt = GetRun(run_id_).tasks[0].attempts[0];
  EXPECT_EQ(attempt.log_lines, kMaxLogLinesPerAttempt);
  EXPECT_EQ(attempt.log_lines_dropped, dropped + 1 + 5);
  // The other attempt has a bound of its own.
  ASSERT_TRUE(logs_->Append(worker_id_, {Batch(claims_["b"], {"b"})}).ok());
  EXPECT_THAT(Messages("b"), ElementsAre("b:b"));
}

TEST_F(LogStoreTest, BoundsBytesPerAttempt) {
  LeaseBoth();
  const std::string big(kMaxLogLineBytes, 'x');
  const int fit = static_cast<int>(kMaxLogBytesPerAttempt / kMaxLogLineBytes);
  std::vector<std::string> lines(fit + 3, big);
  auto out = logs_->Append(worker_id_, {Batch(claims_["a"], lines)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].stored, fit);
  EXPECT_EQ((*out)[0].dropped, 3);
}

TEST_F(LogStoreTest, ConcurrentAppendersOfOneRunCommitInIdOrder) {
  LeaseBoth();
  // Two appenders of the same run race; a reader following ids must never
  // see a gap filled in later (ids of one run follow commit order).
  std::atomic<bool> stop{false};
  std::vector<int64_t> seen;
  std::thread reader([&] {
    int64_t last = 0;
    while (!stop.load()) {
      auto page = logs_->LinesAfter(run_id_, "", last, 1000);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const auto& r : page->lines) {
        seen.push_back(r.id);
        last = r.id;
      }
    }
  });
  std::vector<std::thread> writers;
  for (const char* task : {"a", "b"}) {
    writers.emplace_back([&, task] {
      for (int i = 0; i < 40; ++i) {
        ASSERT_TRUE(logs_->Append(worker_id_, {Batch(claims_[task], {"x", "y"})}).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  auto all = logs_->LinesAfter(run_id_, "", 0, 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(all->lines, SizeIs(160));
  // Everything the reader saw while following is a prefix of the final list.
  ASSERT_LE(seen.size(), all->lines.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], all->lines[i].id) << i;
}

TEST_F(LogStoreTest, UnknownRunOrTaskIsNotFound) {
  LeaseBoth();
  EXPECT_EQ(logs_->LinesAfter("0b9c6f1e-2d3a-4c5b-8e7f-112233445566", "", 0, 10).status().code(),
            absl::StatusCode::kNotFound);
  auto missing = logs_->LinesAfter(run_id_, "zzz", 0, 10);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no task named \"zzz\""));
  EXPECT_EQ(logs_->LinesAfter("nope", "", 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace baton::store
