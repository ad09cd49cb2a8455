#include "common/base/log_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/json_util.h"

namespace baton {
namespace {

// The longest prefix of UTF-8 `text` of at most `max` bytes that does not
// split a character.
absl::string_view Utf8Prefix(absl::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string StripCarriageReturn(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

std::string CleanLogText(absl::string_view text) {
  std::string clean = ValidUtf8(text);
  clean.erase(std::remove(clean.begin(), clean.end(), '\0'), clean.end());
  if (clean.size() <= kMaxLogLineBytes) return clean;
  const size_t room = kMaxLogLineBytes - (sizeof(kTruncatedMark) - 1);
  return absl::StrCat(Utf8Prefix(clean, room), kTruncatedMark);
}

bool IsLogLevel(absl::string_view level) {
  return level == "debug" || level == "info" || level == "warn" || level == "error";
}

bool IsLogStream(absl::string_view stream) {
  return stream == "log" || stream == "stdout" || stream == "stderr";
}

std::vector<std::string> LineSplitter::Feed(absl::string_view chunk) {
  std::vector<std::string> lines;
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const size_t take = newline == absl::string_view::npos ? chunk.size() : newline;
    const size_t room = max_line_ - std::min(max_line_, partial_.size());
    if (take > room) {
      // The line outgrows the bound: emit what fits and go on with the rest.
      partial_.append(chunk.data(), room);
      lines.push_back(std::move(partial_));
      partial_.clear();
      chunk.remove_prefix(room);
      continue;
    }
    partial_.append(chunk.data(), take);
    if (newline == absl::string_view::npos) break;
    lines.push_back(StripCarriageReturn(std::move(partial_)));
    partial_.clear();
    chunk.remove_prefix(newline + 1);
  }
  return lines;
}

std::vector<std::string> LineSplitter::Finish() {
  std::vector<std::string> lines;
  if (!partial_.empty()) lines.push_back(StripCarriageReturn(std::move(partial_)));
  partial_.clear();
  return lines;
}

}  // namespace baton
