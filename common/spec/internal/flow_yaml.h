// Internal to common/ (include only from common/*.cc): the flow_spec module's
// YAML reading, also used by the other file formats in common/ (deployments).
//
// Reading a flow file's YAML: its structure (types, required and unknown keys)
// and where each field sits, leaving the rules of FindIssue to the caller.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/spec/flow.h"
#include "common/spec/internal/flow_rules.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace baton::flow_spec_internal {

// Reports errors for one file and remembers where its fields are.
class YamlContext {
 public:
  explicit YamlContext(absl::string_view source) : source_(source) {}

  // INVALID_ARGUMENT for `issue`, positioned at `mark` when it is known.
  absl::Status Fail(const Issue& issue, const YAML::Mark& mark) const;

  // As above, positioned at `node`, or for an empty value at its noted key.
  absl::Status Fail(const Issue& issue, const YAML::Node& node) const;

  // Remembers that the field at `path` starts at `mark`.
  void Note(const std::string& path, const YAML::Mark& mark);

  // As Note, for a field the file spells differently: errors about `path`
  // name `written_path` instead (`retries` is checked as max_attempts).
  void NoteAlias(const std::string& path, const std::string& written_path, const YAML::Mark& mark);

  PositionTable TakePositions() { return std::move(positions_); }

 private:
  std::string source_;
  PositionTable positions_;
};

// "a map", "a list", "null", "a scalar": what a node is, for messages.
std::string YamlKindName(const YAML::Node& node);

// One entry of a YAML map, in file order.
struct YamlEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The entries of the map at `path`. Fails unless `node` is a map (else the
// message says `expected`) whose keys are scalars, each used once.
absl::StatusOr<std::vector<YamlEntry>> YamlMapEntries(const YamlContext& context,
                                                      const YAML::Node& node,
                                                      const std::string& path,
                                                      absl::string_view expected);

// How deeply a config or default value may nest.
inline constexpr int kMaxYamlValueDepth = kMaxJsonDepth;

// Converts a YAML value to JSON. Plain scalars follow the YAML 1.2 core schema
// (null, true/false, integers incl. 0x/0o, floats); quoted or !!str scalars
// stay strings, !!null is null. Fails on other tags, non-scalar or duplicate
// map keys, infinities and NaN, nesting deeper than kMaxYamlValueDepth (which
// also stops an alias inside its own anchor), and -- while building, before
// any blow-up -- on a value whose JSON must exceed `max_bytes` (alias bombs).
// `what` names the value in those two messages ("config").
absl::StatusOr<nlohmann::json> YamlToJson(const YamlContext& context, const YAML::Node& node,
                                          const std::string& path, absl::string_view what,
                                          size_t max_bytes);

// The entry for `key`, or nullptr.
const YamlEntry* FindEntry(const std::vector<YamlEntry>& entries, absl::string_view key);

// Where an entry's value starts (for an empty value, where its key does).
YAML::Mark ValueMark(const YamlEntry& entry);

// The entries of the map at `path`, each key one of `allowed` (else the error
// lists them), each value's position noted.
absl::StatusOr<std::vector<YamlEntry>> ReadFields(YamlContext& context, const YAML::Node& node,
                                                  const std::string& path,
                                                  absl::Span<const absl::string_view> allowed,
                                                  absl::string_view expected);

// Scalar readers; errors name `path` and say what was expected.
absl::Status ReadString(const YamlContext& context, const YAML::Node& node, const std::string& path,
                        std::string* out);
absl::Status ReadOptionalString(const YamlContext& context, const std::vector<YamlEntry>& entries,
                                const std::string& parent, absl::string_view key, std::string* out);
absl::Status ReadRequiredString(const YamlContext& context, const std::vector<YamlEntry>& entries,
                                const YAML::Node& map, const std::string& parent,
                                absl::string_view key, std::string* out);
absl::Status ReadBool(const YamlContext& context, const YAML::Node& node, const std::string& path,
                      bool* out);
// An integer within +-kMaxReadInteger.
absl::Status ReadInt(const YamlContext& context, const YAML::Node& node, const std::string& path,
                     int* out);
// A duration: a string absl::ParseDuration accepts ("2s", "1m30s") or a plain
// number of seconds, rounded to the nearest millisecond.
absl::Status ReadDuration(const YamlContext& context, const YAML::Node& node,
                          const std::string& path, absl::Duration* out);
// A list of strings, each item's position noted.
absl::Status ReadStringList(YamlContext& context, const YAML::Node& node, const std::string& path,
                            std::vector<std::string>* out);

// At most one of `keys` may be among `entries`; the error names the first two
// found, positioned at the second, and says `expected`.
absl::Status CheckExclusive(const YamlContext& context, const std::vector<YamlEntry>& entries,
                            const std::string& path, std::initializer_list<absl::string_view> keys,
                            absl::string_view expected);

// The one YAML document of `text`. Refuses text above `max_bytes`, malformed
// YAML, and zero or several documents; `kind` names what the file should hold
// ("flow") and `expected` what that looks like ("a map with keys name and
// tasks").
absl::StatusOr<YAML::Node> LoadYamlDocument(const YamlContext& context, absl::string_view text,
                                            size_t max_bytes, absl::string_view kind,
                                            absl::string_view expected);

// A task's retry, timeout, heartbeat_timeout, schedule_to_start_timeout,
// circuit_breaker and fallback, from its entries; `path` is "tasks[i]".
absl::Status ReadTaskResilience(YamlContext& context, const std::vector<YamlEntry>& entries,
                                const std::string& path, TaskSpec* task);

// The flow's timeout and defaults, from the top-level entries.
absl::Status ReadFlowResilience(YamlContext& context, const std::vector<YamlEntry>& entries,
                                FlowSpec* spec);

struct ParsedFlow {
  FlowSpec spec;
  PositionTable positions;
};

// Parses `text` (refusing it above kMaxFlowFileBytes) and reads the flow's
// structure. Errors are INVALID_ARGUMENT with source, path and position.
absl::StatusOr<ParsedFlow> ReadYamlFlow(absl::string_view text, absl::string_view source);

}  // namespace baton::flow_spec_internal
