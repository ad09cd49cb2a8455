#include "cli/inputs.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/base/json_util.h"
#include "common/base/utf8.h"

namespace baton::cli {
namespace {

// Options whose values are local paths: read here, never sent as they are.
constexpr const char* kPathOptions[] = {"--file", "--tls-ca", "--tls-cert", "--tls-key",
                                        "--token-file"};

bool NamesLocalFile(const CLI::Option& option) {
  for (const char* name : kPathOptions) {
    if (option.check_name(name)) return true;
  }
  return false;
}

absl::Status CheckOptions(const CLI::App& app) {
  for (const CLI::Option* option : app.get_options()) {
    if (NamesLocalFile(*option)) continue;
    for (const std::string& value : option->results()) {
      if (absl::Status s =
              CheckUtf8(option->get_name(/*positional=*/!option->nonpositional()), value);
          !s.ok()) {
        return s;
      }
    }
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    if (absl::Status s = CheckOptions(*sub); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckArgumentsAreUtf8(const CLI::App& app) { return CheckOptions(app); }

absl::Status AddParamFlags(const std::vector<std::string>& flags, nlohmann::json* params) {
  for (const std::string& kv : flags) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--param ", QuoteBytes(kv), ": expected key=value"));
    }
    if (absl::Status s = CheckUtf8("--param", kv); !s.ok()) return s;
    const std::string key = kv.substr(0, eq);
    const std::string value = kv.substr(eq + 1);
    // nlohmann parses without recursing, but prints (and the server reads)
    // recursively: a JSON value is bounded in depth, text is not JSON.
    nlohmann::json parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      (*params)[key] = value;
      continue;
    }
    const std::string what = absl::StrCat("--param ", QuoteBytes(key));
    if (absl::Status s = CheckJsonNesting(value, what); !s.ok()) return s;
    (*params)[key] = std::move(parsed);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", SourceName(path)));
  std::ostringstream text;
  text << in.rdbuf();
  std::string content = std::move(text).str();
  if (content.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(SourceName(path), ": ", content.size(),
                                                   " bytes; expected at most ", max_bytes));
  }
  if (absl::Status s = CheckUtf8File(SourceName(path), content); !s.ok()) return s;
  return content;
}

std::string SourceName(const std::string& path) { return ValidUtf8(path); }

}  // namespace baton::cli
