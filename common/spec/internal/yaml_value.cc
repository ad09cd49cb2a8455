// YAML values -> JSON, and the map-walking both YAML readers use.
#include <charconv>
#include <cstdint>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/spec/internal/flow_yaml.h"

namespace baton::flow_spec_internal {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

bool IsNullText(absl::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> BoolText(absl::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool IsNonFiniteText(absl::string_view s) {
  absl::string_view body = s;
  if (!absl::ConsumePrefix(&body, "-")) absl::ConsumePrefix(&body, "+");
  if (body == ".inf" || body == ".Inf" || body == ".INF") return true;
  return s == ".nan" || s == ".NaN" || s == ".NAN";
}

// Decimal, 0x hex or 0o octal, with an optional sign. Non-negative integers
// become unsigned, as nlohmann's own parser makes them.
std::optional<json> IntegerText(absl::string_view s) {
  absl::string_view digits = s;
  bool negative = absl::ConsumePrefix(&digits, "-");
  if (!negative) absl::ConsumePrefix(&digits, "+");
  int base = 10;
  if (absl::ConsumePrefix(&digits, "0x")) {
    base = 16;
  } else if (absl::ConsumePrefix(&digits, "0o")) {
    base = 8;
  }
  uint64_t magnitude = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, magnitude, base);
  if (digits.empty() || ptr != end || ec != std::errc()) return std::nullopt;
  if (!negative) return json(magnitude);
  if (magnitude > uint64_t{1} << 63) return std::nullopt;
  return json(static_cast<int64_t>(~magnitude + 1));
}

// [-+]?(.digits|digits(.digits?)?)([eE][-+]?digits)?, and integers too large
// for 64 bits.
std::optional<json> FloatText(absl::string_view s) {
  if (s.find_first_not_of("0123456789+-.eE") != absl::string_view::npos ||
      s.find_first_of("0123456789") == absl::string_view::npos) {
    return std::nullopt;
  }
  absl::string_view body = s;
  absl::ConsumePrefix(&body, "+");
  double value = 0;
  const char* end = body.data() + body.size();
  auto [ptr, ec] = std::from_chars(body.data(), end, value);
  if (ptr != end || ec != std::errc()) return std::nullopt;
  return json(value);
}

// A plain scalar by the YAML 1.2 core schema; nullopt for .inf and .nan.
std::optional<json> ResolvePlain(const std::string& s) {
  if (IsNullText(s)) return json(nullptr);
  if (std::optional<bool> b = BoolText(s)) return json(*b);
  if (IsNonFiniteText(s)) return std::nullopt;
  if (std::optional<json> i = IntegerText(s)) return i;
  if (std::optional<json> f = FloatText(s)) return f;
  return json(s);
}

bool IsCollectionTag(const std::string& tag) {
  return tag == "?" || tag == "!" || tag == absl::StrCat(kCoreTagPrefix, "seq") ||
         tag == absl::StrCat(kCoreTagPrefix, "map");
}

Issue UnsupportedTagIssue(std::string path, const std::string& tag) {
  return Issue{std::move(path), absl::StrCat("unsupported YAML tag ", Quote(tag)),
               "a plain or quoted value (or !!str)"};
}

// Converts one value, charging what it must at least cost as JSON text to a
// budget so that aliases cannot blow a small file up into a huge value.
class Converter {
 public:
  Converter(const YamlContext& context, const YAML::Node& root, std::string root_path,
            absl::string_view what, size_t max_bytes)
      : context_(context),
        root_mark_(root.Mark()),
        root_path_(std::move(root_path)),
        what_(what),
        budget_(max_bytes),
        max_bytes_(max_bytes) {}

  absl::StatusOr<json> Convert(const YAML::Node& node, const std::string& path, int depth) {
    if (depth > kMaxYamlValueDepth) return TooDeep();
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path);
      case YAML::NodeType::Sequence:
        return ConvertSequence(node, path, depth);
      case YAML::NodeType::Map:
        return ConvertMap(node, path, depth);
      default:  // Null; Undefined does not come out of the parser
        return Charged(json(nullptr), 4);
    }
  }

 private:
  absl::StatusOr<json> ConvertScalar(const YAML::Node& node, const std::string& path) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!" || tag == absl::StrCat(kCoreTagPrefix, "str")) {
      return Charged(json(text), text.size() + 2);
    }
    if (tag == absl::StrCat(kCoreTagPrefix, "null")) return Charged(json(), 4);
    if (tag != "?") {
      return context_.Fail(UnsupportedTagIssue(path, tag), node.Mark());
    }
    std::optional<json> value = ResolvePlain(text);
    if (!value.has_value()) {
      return context_.Fail(Issue{path, Quote(text) + " is not a finite number",
                                 "a finite number, or a quoted string"},
                           node.Mark());
    }
    size_t cost = value->is_string() ? text.size() + 2 : 1;
    return Charged(*std::move(value), cost);
  }

  absl::StatusOr<json> ConvertSequence(const YAML::Node& node, const std::string& path, int depth) {
    if (!IsCollectionTag(node.Tag())) {
      return context_.Fail(UnsupportedTagIssue(path, node.Tag()), node.Mark());
    }
    json out = json::array();
    BATON_RETURN_IF_ERROR(Charge(2));
    for (size_t i = 0; i < node.size(); ++i) {
      BATON_ASSIGN_OR_RETURN(json item, Convert(node[i], IndexPath(path, i), depth + 1));
      out.push_back(std::move(item));
    }
    return out;
  }

  absl::StatusOr<json> ConvertMap(const YAML::Node& node, const std::string& path, int depth) {
    if (!IsCollectionTag(node.Tag())) {
      return context_.Fail(UnsupportedTagIssue(path, node.Tag()), node.Mark());
    }
    BATON_ASSIGN_OR_RETURN(std::vector<YamlEntry> entries,
                           YamlMapEntries(context_, node, path, "a map"));
    json out = json::object();
    BATON_RETURN_IF_ERROR(Charge(2));
    for (const YamlEntry& entry : entries) {
      BATON_RETURN_IF_ERROR(Charge(entry.key.size() + 3));
      BATON_ASSIGN_OR_RETURN(out[entry.key],
                             Convert(entry.value, JoinPath(path, entry.key), depth + 1));
    }
    return out;
  }

  absl::Status Charge(size_t bytes) {
    if (bytes <= budget_) {
      budget_ -= bytes;
      return absl::OkStatus();
    }
    return context_.Fail(TooLargeIssue(root_path_, what_, max_bytes_), root_mark_);
  }

  absl::StatusOr<json> Charged(json value, size_t bytes) {
    BATON_RETURN_IF_ERROR(Charge(bytes));
    return value;
  }

  absl::Status TooDeep() const {
    return context_.Fail(
        Issue{root_path_,
              absl::StrCat(what_, " nests more than ", kMaxYamlValueDepth, " levels deep"),
              absl::StrCat("at most ", kMaxYamlValueDepth, " levels")},
        root_mark_);
  }

  const YamlContext& context_;
  YAML::Mark root_mark_;
  std::string root_path_;
  std::string what_;
  size_t budget_;
  size_t max_bytes_;
};

}  // namespace

std::string YamlKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "null";
  }
}

absl::StatusOr<std::vector<YamlEntry>> YamlMapEntries(const YamlContext& context,
                                                      const YAML::Node& node,
                                                      const std::string& path,
                                                      absl::string_view expected) {
  if (!node.IsMap()) {
    return context.Fail(WrongTypeIssue(path, YamlKindName(node), expected), node);
  }
  std::vector<YamlEntry> entries;
  absl::flat_hash_set<std::string> seen;
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) {
      return context.Fail(
          Issue{path, absl::StrCat("a map key is ", YamlKindName(pair.first)), "string keys"},
          pair.first.Mark());
    }
    std::string key = pair.first.Scalar();
    if (!seen.insert(key).second) {
      return context.Fail(Issue{JoinPath(path, key), absl::StrCat("duplicate key ", Quote(key)),
                                "each key at most once"},
                          pair.first.Mark());
    }
    entries.push_back(YamlEntry{std::move(key), pair.first, pair.second});
  }
  return entries;
}

absl::StatusOr<json> YamlToJson(const YamlContext& context, const YAML::Node& node,
                                const std::string& path, absl::string_view what, size_t max_bytes) {
  Converter converter(context, node, path, what, max_bytes);
  return converter.Convert(node, path, 0);
}

}  // namespace baton::flow_spec_internal
