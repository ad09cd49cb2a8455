// Checking that text from outside is UTF-8 before it reaches anything that
// requires it: proto3 `string` fields (protobuf refuses to parse a request
// that holds invalid UTF-8 in one), JSON (nlohmann throws when it prints such
// a string) and PostgreSQL text. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton {

// The byte offset of the first byte of `text` that does not belong to a
// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequence); nullopt when all of it is
// UTF-8. The same rule protobuf and nlohmann::json apply.
std::optional<size_t> FindInvalidUtf8(absl::string_view text);

// A position in text, both 1-based; the column counts characters (code
// points), not bytes.
struct TextPosition {
  int line = 1;
  int column = 1;
};

// Where byte `offset` of `text` is. The text before `offset` should be UTF-8;
// an invalid byte before it counts as one character.
TextPosition PositionOf(absl::string_view text, size_t offset);

// `text` for an error message: quoted, with bytes that are not printable
// ASCII written as \xNN (so a message stays UTF-8 itself), and cut after
// `max_bytes` with "...".
std::string QuoteBytes(absl::string_view text, size_t max_bytes = 64);

// INVALID_ARGUMENT "<what> \"<text, quoted>\": not valid UTF-8 at byte N;
// expected UTF-8 text" when `text` is not UTF-8; OK otherwise. `what` names
// the flag or field, e.g. "--idempotency-key".
absl::Status CheckUtf8(absl::string_view what, absl::string_view text);

// For a file's content: INVALID_ARGUMENT "<name> (line L, column C): not
// valid UTF-8 at byte N; expected UTF-8 text"; OK when all of it is UTF-8.
absl::Status CheckUtf8File(absl::string_view name, absl::string_view content);

}  // namespace baton
