// Parsing JSON text that came from outside, with errors that say where.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/limits.h"
#include "nlohmann/json.hpp"

namespace baton {

// How FindExcessNesting reads quotes: JSON has only "..." strings; YAML also
// has '...' scalars and # comments, a quote opening a scalar only after a
// space, a line start or [ { , :.
enum class TextSyntax { kJson, kYaml };

// The byte offset of the first [ or { that opens level `max_depth` + 1 of
// `text`, counting brackets outside strings and comments; nullopt when the
// text never nests that deep. One pass, no recursion, no allocation: run it
// before a parser (or anything that recurses over the parsed value) sees
// untrusted text. For YAML it is a close bound (a bracket inside an unquoted
// scalar counts as one), not a parser.
std::optional<size_t> FindExcessNesting(absl::string_view text, int max_depth, TextSyntax syntax);

// INVALID_ARGUMENT "<what>: nested more than <max_depth> levels deep (at byte
// B); expected at most <max_depth> levels of arrays and objects" when
// FindExcessNesting finds a place.
absl::Status CheckJsonNesting(absl::string_view text, absl::string_view what,
                              int max_depth = kMaxJsonDepth);

// Parses `text` (empty means `{}` when `empty_is_object`) and requires a JSON
// object no larger than `max_bytes`, nested at most kMaxJsonDepth levels
// (checked before parsing). INVALID_ARGUMENT names `what` (e.g.
// "parameters_json") and the byte position of a syntax error.
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text, absl::string_view what,
                                               size_t max_bytes, bool empty_is_object = true);

// `value` serialized compactly. INVALID_ARGUMENT "<what>: holds text that is
// not valid UTF-8 (...); expected UTF-8 text" where nlohmann would throw.
absl::StatusOr<std::string> DumpJson(const nlohmann::json& value, absl::string_view what);

// True when a string or key anywhere in `value` holds U+0000, which JSON
// allows and PostgreSQL's jsonb refuses.
bool ContainsNulCharacter(const nlohmann::json& value);

// `text` as valid UTF-8: each invalid byte becomes U+FFFD. Proto strings and
// JSON must be UTF-8; process output and handler text need not be.
std::string ValidUtf8(absl::string_view text);

}  // namespace baton
