#include "common/base/json_util.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace baton {
namespace {

// Whether a quote after `prev` (outside any string) opens a YAML scalar.
bool OpensYamlScalar(char prev) {
  switch (prev) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '[':
    case '{':
    case ',':
    case ':':
      return true;
    default:
      return false;
  }
}

// From the opening quote at `i`, the offset of the closing one (or the end).
size_t SkipQuoted(absl::string_view text, size_t i) {
  const char quote = text[i];
  for (++i; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      // YAML writes a single quote inside '...' as ''.
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return i;
    }
  }
  return text.size();
}

}  // namespace

std::optional<size_t> FindExcessNesting(absl::string_view text, int max_depth, TextSyntax syntax) {
  const bool yaml = syntax == TextSyntax::kYaml;
  int depth = 0;
  char prev = '\n';
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == '"' ? (!yaml || OpensYamlScalar(prev))
                        : (c == '\'' && yaml && OpensYamlScalar(prev))) {
      i = SkipQuoted(text, i);
    } else if (c == '#' && yaml && absl::ascii_isspace(static_cast<unsigned char>(prev))) {
      i = std::min(text.find('\n', i), text.size());
    }
    prev = i < text.size() ? text[i] : '\n';
  }
  return std::nullopt;
}

absl::Status CheckJsonNesting(absl::string_view text, absl::string_view what, int max_depth) {
  std::optional<size_t> at = FindExcessNesting(text, max_depth, TextSyntax::kJson);
  if (!at) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": nested more than ", max_depth, " levels deep (at byte ", *at,
                   "); expected at most ", max_depth, " levels of arrays and objects"));
}

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text, absl::string_view what,
                                               size_t max_bytes, bool empty_is_object) {
  if (text.empty() && empty_is_object) return nlohmann::json::object();
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", text.size(), " bytes; expected at most ", max_bytes));
  }
  if (auto s = CheckJsonNesting(text, what); !s.ok()) return s;
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end());
    if (!value.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": expected a JSON object, got ", value.type_name()));
    }
    return value;
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid JSON at byte ", e.byte, "; expected a JSON object"));
  }
}

absl::StatusOr<std::string> DumpJson(const nlohmann::json& value, absl::string_view what) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": holds text that is not valid UTF-8 (",
                                                   e.what(), "); expected UTF-8 text"));
  }
}

bool ContainsNulCharacter(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get_ref<const std::string&>().find('\0') != std::string::npos;
  }
  if (value.is_array()) {
    for (const auto& item : value) {
      if (ContainsNulCharacter(item)) return true;
    }
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (key.find('\0') != std::string::npos || ContainsNulCharacter(item)) return true;
    }
  }
  return false;
}

std::string ValidUtf8(absl::string_view text) {
  using nlohmann::json;
  std::string quoted = json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(quoted).get<std::string>();
}

}  // namespace baton
