// Helpers shared by the flow-spec unit tests: parse a flow that must be
// valid, or get the message of the INVALID_ARGUMENT error it must produce.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/spec/flow.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace baton::flow_spec_testing {

inline FlowSpec ParseOk(absl::string_view text) {
  absl::StatusOr<FlowSpec> spec = ParseFlowSpec(text, "flow.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *std::move(spec) : FlowSpec();
}

// The message of the INVALID_ARGUMENT error that `status` must be.
inline std::string InvalidMessage(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

inline std::string ParseError(absl::string_view text) {
  return InvalidMessage(ParseFlowSpec(text, "flow.yaml").status());
}

inline std::string ValidateError(const FlowSpec& spec) {
  return InvalidMessage(ValidateFlowSpec(spec, "spec"));
}

inline std::string FromJsonError(const nlohmann::json& flow) {
  return InvalidMessage(FlowSpecFromJson(flow, "stored").status());
}

}  // namespace baton::flow_spec_testing
