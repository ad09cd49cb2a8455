// Status propagation helpers. Abseil 20220623 ships no status macros; these
// behave as Abseil's later ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN do
// (without the builder), so moving to those is a rename.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BATON_CONCAT_INNER_(a, b) a##b
#define BATON_CONCAT_(a, b) BATON_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the caller when not OK.
#define BATON_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status baton_status_ = (expr);         \
    if (!baton_status_.ok()) return baton_status_; \
  } while (false)

// `BATON_ASSIGN_OR_RETURN(auto x, Foo());` declares/assigns x from an absl::StatusOr,
// returning the error status from the caller when it is not OK.
#define BATON_ASSIGN_OR_RETURN(lhs, expr) \
  BATON_ASSIGN_OR_RETURN_IMPL_(BATON_CONCAT_(baton_statusor_, __LINE__), lhs, expr)

#define BATON_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
