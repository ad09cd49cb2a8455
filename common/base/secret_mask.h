// Masking secret values (a deployment's secret env vars) as "***" in what
// leaves a worker: log lines, error messages, results. The rule everywhere:
// mask first, then cut to a bound, so that no cut can keep part of a secret.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace baton {

inline constexpr char kMaskedSecret[] = "***";

// A set of secret values. Immutable, so thread-safe.
class SecretMask {
 public:
  SecretMask() = default;
  // Empty values are ignored.
  explicit SecretMask(const std::vector<std::string>& values);

  bool empty() const { return values_.empty(); }
  // Non-empty, distinct, longest first.
  const std::vector<std::string>& values() const { return values_; }

  // `text` with every occurrence of each value replaced by kMaskedSecret,
  // longer values first (a secret that contains another is masked whole).
  std::string Apply(absl::string_view text) const;

  // `value` with every string in it masked as Apply does, object keys
  // included (of two keys that mask alike, the first in key order is kept).
  // Numbers, booleans and null are kept. Values nested deeper than
  // kMaxJsonDepth are left as they are: the orchestrator refuses such a
  // value whole.
  nlohmann::json ApplyToJson(const nlohmann::json& value) const;

 private:
  nlohmann::json ApplyToJson(const nlohmann::json& value, int depth) const;

  std::vector<std::string> values_;
};

// Masks a byte stream that arrives in chunks, such as a command's output:
// an occurrence split across chunks is masked whole. Only an ending that
// could still be the start of a secret is held back until the next chunk
// (or Finish), so lines flow through at once. Not thread-safe.
class SecretStreamMask {
 public:
  explicit SecretStreamMask(SecretMask mask) : mask_(std::move(mask)) {}

  // Appends `chunk`; returns the masked text that no later byte can change.
  std::string Feed(absl::string_view chunk);
  // The end of the stream: returns what was held back, masked.
  std::string Finish();

 private:
  size_t HeldBackLength() const;
  size_t SafeEnd() const;

  const SecretMask mask_;
  std::string pending_;
};

}  // namespace baton
