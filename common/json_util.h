// Parsing JSON text that came from outside, with errors that say where.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace baton {

// Parses `text` (empty means `{}` when `empty_is_object`) and requires a JSON
// object no larger than `max_bytes`. INVALID_ARGUMENT names `what` (e.g.
// "parameters_json") and the byte position of a syntax error.
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text, absl::string_view what,
                                               size_t max_bytes, bool empty_is_object = true);

// True when a string or key anywhere in `value` holds U+0000, which JSON
// allows and PostgreSQL's jsonb refuses.
bool ContainsNulCharacter(const nlohmann::json& value);

// `text` as valid UTF-8: each invalid byte becomes U+FFFD. Proto strings and
// JSON must be UTF-8; process output and handler text need not be.
std::string ValidUtf8(absl::string_view text);

}  // namespace baton
