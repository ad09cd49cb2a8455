#include "common/base/uuid.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace baton {

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

absl::Status CheckUuid(absl::string_view what, absl::string_view text) {
  if (IsUuid(text)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " \"", text, "\" is not a UUID; expected e.g. 0b9c6f1e-2d3a-4c5b-8e7f-112233445566"));
}

}  // namespace baton
