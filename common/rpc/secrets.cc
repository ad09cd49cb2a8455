#include "common/rpc/secrets.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace baton::rpc {
namespace {

std::optional<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

absl::StatusOr<std::string> ReadFileContent(const std::string& path, absl::string_view what) {
  std::optional<std::string> content = ReadAll(path);
  if (!content) return absl::NotFoundError(absl::StrCat(what, ": cannot read \"", path, "\""));
  if (content->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", path, "\" is empty"));
  }
  return *std::move(content);
}

absl::Status CheckTokenCharacters(absl::string_view token, absl::string_view where) {
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": the token is empty"));
  for (char c : token) {
    if (c < '!' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": the token has a character outside visible ASCII; expected e.g. the output of "
          "`openssl rand -hex 32`"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadToken(const std::string& file, const char* env_var) {
  std::string token;
  std::string where;
  if (!file.empty()) {
    std::optional<std::string> content = ReadAll(file);
    if (!content)
      return absl::NotFoundError(absl::StrCat("token file \"", file, "\" cannot be read"));
    token = std::string(absl::StripAsciiWhitespace(*content));
    where = absl::StrCat("token file \"", file, "\"");
  } else {
    const char* value = std::getenv(env_var);
    if (value == nullptr || *value == '\0') return std::string();
    token = std::string(absl::StripAsciiWhitespace(value));
    where = absl::StrCat("$", env_var);
  }
  if (absl::Status s = CheckTokenCharacters(token, where); !s.ok()) return s;
  return token;
}

}  // namespace baton::rpc
