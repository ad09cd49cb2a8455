#include "common/base/utf8.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton {
namespace {

// The length of the well-formed sequence starting at `i`, or 0 when there is
// none (RFC 3629, table 3-7 of the Unicode standard).
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

std::optional<size_t> FindInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

TextPosition PositionOf(absl::string_view text, size_t offset) {
  TextPosition position;
  for (size_t i = 0; i < offset && i < text.size();) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
      ++i;
      continue;
    }
    ++position.column;
    const size_t length = SequenceLength(text, i);
    i += length == 0 ? 1 : length;
  }
  return position;
}

std::string QuoteBytes(absl::string_view text, size_t max_bytes) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
    }
  }
  absl::StrAppend(&out, text.size() > max_bytes ? "...\"" : "\"");
  return out;
}

absl::Status CheckUtf8(absl::string_view what, absl::string_view text) {
  const std::optional<size_t> bad = FindInvalidUtf8(text);
  if (!bad) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " ", QuoteBytes(text), ": not valid UTF-8 at byte ", *bad, "; expected UTF-8 text"));
}

absl::Status CheckUtf8File(absl::string_view name, absl::string_view content) {
  const std::optional<size_t> bad = FindInvalidUtf8(content);
  if (!bad) return absl::OkStatus();
  const TextPosition at = PositionOf(content, *bad);
  return absl::InvalidArgumentError(
      absl::StrCat(name, " (line ", at.line, ", column ", at.column, "): not valid UTF-8 at byte ",
                   *bad, absl::StrFormat(" (0x%02X)", static_cast<unsigned char>(content[*bad])),
                   "; expected UTF-8 text"));
}

}  // namespace baton
