#include "common/json_util.h"

#include "absl/strings/str_cat.h"

namespace baton {

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text, absl::string_view what,
                                               size_t max_bytes, bool empty_is_object) {
  if (text.empty() && empty_is_object) return nlohmann::json::object();
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", text.size(),
                                                   " bytes; expected at most ", max_bytes));
  }
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end());
    if (!value.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": expected a JSON object, got ", value.type_name()));
    }
    return value;
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid JSON at byte ", e.byte,
                                                   "; expected a JSON object"));
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
  std::string quoted =
      json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(quoted).get<std::string>();
}

}  // namespace baton
