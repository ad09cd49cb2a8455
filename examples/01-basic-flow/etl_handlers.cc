#include "examples/01-basic-flow/etl_handlers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace baton::examples {
namespace {

using nlohmann::json;

// Reads `path` (a JSON pointer) from the input or fails with a clear message.
absl::StatusOr<json> Field(const json& input, const std::string& path) {
  const json::json_pointer pointer(path);
  if (!input.contains(pointer)) {
    return worker::NonRetryable(absl::InvalidArgumentError("task input has no " + path));
  }
  return input.at(pointer);
}

absl::StatusOr<json> Extract(worker::TaskContext& ctx, const json& input) {
  const double io_seconds = ctx.config().value("io_seconds", 0.0);
  if (ctx.WaitForCancel(absl::Seconds(io_seconds))) {
    return absl::CancelledError("extract interrupted");
  }
  auto items = Field(input, "/params/items");
  if (!items.ok()) return items.status();
  ctx.Info(absl::StrCat("extracted ", items->size(), " items"));
  return json{{"items", *items}};
}

absl::StatusOr<json> Transform(worker::TaskContext& ctx, const json& input) {
  auto items = Field(input, "/upstream/extract/items");
  auto factor = Field(input, "/params/factor");
  if (!items.ok()) return items.status();
  if (!factor.ok()) return factor.status();
  if (!items->is_array() || !factor->is_number()) {
    return worker::NonRetryable(
        absl::InvalidArgumentError("transform expects an array of items and a numeric factor"));
  }
  json values = json::array();
  for (const json& item : *items) {
    if (item.is_number_integer() && factor->is_number_integer()) {
      values.push_back(item.get<int64_t>() * factor->get<int64_t>());
    } else {
      values.push_back(item.get<double>() * factor->get<double>());
    }
  }
  ctx.Info(absl::StrCat("transformed ", values.size(), " items by a factor of ", factor->dump()));
  return values;
}

absl::StatusOr<json> Load(worker::TaskContext& ctx, const json& input) {
  auto values = Field(input, "/upstream/transform");
  if (!values.ok()) return values.status();
  ctx.Info(absl::StrCat("loaded ", values->size(), " values"));
  return json{{"count", values->size()}};
}

}  // namespace

void RegisterEtlHandlers(worker::Worker& worker) {
  worker.Register("etl.extract", Extract);
  worker.Register("etl.transform", Transform);
  worker.Register("etl.load", Load);
}

}  // namespace baton::examples
