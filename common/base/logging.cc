#include "common/base/logging.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

thread_local std::vector<std::pair<std::string, std::string>> log_context;

// %* : the message, JSON-escaped.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string escaped = JsonEscape(std::string(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %& : the thread's log context, as `,"key":"value"...` (JSON) or ` key=value...` (text).
class ContextFlag : public spdlog::custom_flag_formatter {
 public:
  explicit ContextFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string out;
    for (const auto& [key, value] : log_context) {
      out += json_ ? absl::StrCat(",\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"")
                   : absl::StrCat(" ", key, "=", value);
    }
    if (!json_ && !out.empty()) out = absl::StrCat(" [", out.substr(1), "]");
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ContextFlag>(json_);
  }

 private:
  bool json_;
};

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
  const bool json = format == LogFormat::kJson;
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      json ? spdlog::pattern_time_type::utc : spdlog::pattern_time_type::local);
  formatter->add_flag<JsonMessageFlag>('*');
  formatter->add_flag<ContextFlag>('&', json);
  formatter->set_pattern(
      json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","message":"%*"%&})"
           : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n]%& %v");
  return formatter;
}

}  // namespace

std::string JsonEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

absl::Status SetUpLogging(const std::string& program, const std::string& level,
                          const std::string& format) {
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-format \"", format, "\": expected text or json"));
  }
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level \"", level, "\": expected debug, info, warn or error"));
  }
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_formatter(MakeFormatter(format == "json" ? LogFormat::kJson : LogFormat::kText));
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

ScopedLogContext::ScopedLogContext(std::vector<std::pair<std::string, std::string>> fields)
    : previous_size_(log_context.size()) {
  for (auto& field : fields) log_context.push_back(std::move(field));
}

ScopedLogContext::~ScopedLogContext() { log_context.resize(previous_size_); }

}  // namespace baton
