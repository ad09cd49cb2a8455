// Every bound Baton puts on what comes from outside, in one place: the gRPC
// message sizes, the size of each field a request carries, the size of flow
// and deployment files, and the number of polls a worker may keep waiting.
// Exceeding a field bound is INVALID_ARGUMENT naming the field and the bound,
// refused before anything is written; too many polls is RESOURCE_EXHAUSTED.
// README.md ("Limits") lists them for users; keep the two in step.
#pragma once

#include <cstddef>

namespace baton {

// ---- gRPC messages ----
// The largest request the orchestrator accepts, and so the largest a client
// (CLI, worker) sends: a bigger one fails in the client, before it is sent.
inline constexpr int kMaxRequestMessageBytes = 8 << 20;
// The largest answer the orchestrator sends and a client accepts (a poll may
// carry many leases, a run its tasks' results).
inline constexpr int kMaxResponseMessageBytes = 64 << 20;

// ---- names and identifiers ----
inline constexpr size_t kMaxNameLength = 128;  // flow, task, queue, parameter, tag, breaker key
inline constexpr size_t kMaxHandlerNameLength = 128;
inline constexpr size_t kMaxDescriptionLength = 4096;
inline constexpr size_t kMaxSourceNameLength = 1024;  // the file name a CLI sends with a file
inline constexpr size_t kMaxCorrelationIdLength = 128;
inline constexpr size_t kMaxIdempotencyKeyLength = 256;
inline constexpr size_t kMaxReasonLength = 1024;  // a cancellation's reason
inline constexpr size_t kMaxIdLength = 64;        // run, worker ids and lease tokens: UUIDs (36)

// ---- JSON values (parameters, configs, defaults, results) ----
// Deepest nesting of arrays and objects in any JSON or YAML value; checked on
// the text before it is parsed, so no parser or printer recurses deeper.
inline constexpr int kMaxJsonDepth = 64;
// Brackets in a whole flow or deployment file: its own structure (flow, tasks,
// task, config) around a value of kMaxJsonDepth.
inline constexpr int kMaxFileDepth = kMaxJsonDepth + 8;
inline constexpr size_t kMaxParametersBytes = 256 * 1024;  // a run's parameters, serialized
inline constexpr size_t kMaxResultBytes = 1 << 20;         // one task result, serialized
inline constexpr size_t kMaxErrorMessageBytes = 8 * 1024;  // longer messages are cut
inline constexpr size_t kMaxErrorTypeLength = 128;         // a failure's error type

// ---- flow files ----
inline constexpr size_t kMaxFlowFileBytes = 1 << 20;  // 1 MiB of text
inline constexpr size_t kMaxTasksPerFlow = 1000;
inline constexpr size_t kMaxDependenciesPerTask = 100;
inline constexpr size_t kMaxParameters = 100;
inline constexpr size_t kMaxTaskConfigBytes = 64 * 1024;      // one task's config, serialized
inline constexpr size_t kMaxParameterValueBytes = 64 * 1024;  // one default, serialized
// All configs and defaults of a flow together, serialized (YAML aliases can
// repeat one large value in every task of a small file).
inline constexpr size_t kMaxFlowValuesBytes = 4 << 20;

// ---- deployment files ----
inline constexpr size_t kMaxDeploymentFileBytes = 256 * 1024;
inline constexpr size_t kMaxSchedulesPerDeployment = 20;
inline constexpr size_t kMaxEnvVars = 100;
inline constexpr size_t kMaxEnvValueBytes = 8 * 1024;
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxCronExpressionLength = 256;

// ---- workers ----
inline constexpr size_t kMaxWorkerNameLength = 256;
inline constexpr size_t kMaxWorkerVersionLength = 128;
inline constexpr int kMaxSlotsPerWorker = 1024;  // also bounds max_leases of one poll
inline constexpr int kMaxQueuesPerWorker = 64;
inline constexpr int kMaxHandlersPerWorker = 1024;
inline constexpr int kMaxLabelsPerWorker = 64;
inline constexpr size_t kMaxLabelValueLength = 256;  // label keys are names
inline constexpr int kMaxHeartbeatBatch = 1024;      // attempts in one heartbeat
// Polls one worker id may have waiting at once; one more is RESOURCE_EXHAUSTED.
inline constexpr int kMaxPollsPerWorker = 4;
// Polls waiting at once on one orchestrator, all workers together. Each holds
// a server thread, so this stays well under kMaxServerThreads.
inline constexpr int kMaxWaitingPolls = 256;
inline constexpr int kMaxServerThreads = 512;

}  // namespace baton
