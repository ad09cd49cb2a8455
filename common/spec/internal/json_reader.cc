#include "common/spec/internal/json_reader.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton::flow_spec_internal {

using json = nlohmann::json;

absl::Status JsonReader::Fail(const Issue& issue) const { return IssueStatus(source_, issue); }

absl::Status JsonReader::WrongType(std::string path, const json& value,
                                   absl::string_view expected) const {
  return Fail(
      WrongTypeIssue(std::move(path), absl::StrCat("a JSON ", value.type_name()), expected));
}

absl::Status JsonReader::CheckObject(const json& value, const std::string& path,
                                     absl::Span<const absl::string_view> allowed) const {
  if (!value.is_object()) return WrongType(path, value, "a JSON object");
  for (const auto& [key, unused] : value.items()) {
    if (!absl::c_linear_search(allowed, key)) {
      return Fail(UnknownKeyIssue(path, key, allowed));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const json*> JsonReader::Member(const json& object, const std::string& parent,
                                               absl::string_view key, bool required) const {
  auto it = object.find(std::string(key));
  if (it != object.end()) return &*it;
  if (!required) return nullptr;
  return Fail(MissingKeyIssue(parent, key));
}

absl::Status JsonReader::ReadString(const json& object, const std::string& parent,
                                    absl::string_view key, bool required, std::string* out) const {
  BATON_ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, required));
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) {
    return WrongType(JoinPath(parent, key), *value, "a string");
  }
  *out = value->get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status JsonReader::ReadBool(const json& object, const std::string& parent,
                                  absl::string_view key, bool* out) const {
  BATON_ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, false));
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_boolean()) {
    return WrongType(JoinPath(parent, key), *value, "true or false");
  }
  *out = value->get<bool>();
  return absl::OkStatus();
}

absl::Status JsonReader::ReadInt(const json& object, const std::string& parent,
                                 absl::string_view key, int* out) const {
  BATON_ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, false));
  if (value == nullptr) return absl::OkStatus();
  std::string path = JoinPath(parent, key);
  if (!value->is_number_integer()) {
    return WrongType(std::move(path), *value, "an integer");
  }
  bool in_range = value->is_number_unsigned() ? value->get<uint64_t>() <= uint64_t{kMaxReadInteger}
                                              : value->get<int64_t>() >= -kMaxReadInteger &&
                                                    value->get<int64_t>() <= kMaxReadInteger;
  if (!in_range) {
    return Fail(IntegerOutOfRangeIssue(std::move(path), value->dump()));
  }
  *out = static_cast<int>(value->get<int64_t>());
  return absl::OkStatus();
}

absl::Status JsonReader::ReadNumber(const json& object, const std::string& parent,
                                    absl::string_view key, double* out) const {
  BATON_ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, false));
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_number()) {
    return WrongType(JoinPath(parent, key), *value, "a number");
  }
  *out = value->get<double>();
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> JsonReader::Milliseconds(const json& value,
                                                        const std::string& path) const {
  if (value.is_number_unsigned()) {
    uint64_t ms = value.get<uint64_t>();
    if (ms > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return absl::InfiniteDuration();  // refused by the rules as too long
    }
    return absl::Milliseconds(static_cast<int64_t>(ms));
  }
  if (value.is_number_integer()) {
    return absl::Milliseconds(value.get<int64_t>());
  }
  return WrongType(path, value, "an integer number of milliseconds");
}

absl::Status JsonReader::ReadMilliseconds(const json& object, const std::string& parent,
                                          absl::string_view key, absl::Duration* out) const {
  BATON_ASSIGN_OR_RETURN(const json* value, Member(object, parent, key, false));
  if (value == nullptr) return absl::OkStatus();
  BATON_ASSIGN_OR_RETURN(*out, Milliseconds(*value, JoinPath(parent, key)));
  return absl::OkStatus();
}

absl::Status JsonReader::ReadStrings(const json& value, const std::string& path,
                                     std::vector<std::string>* out) const {
  if (!value.is_array()) return WrongType(path, value, "a list of strings");
  for (const json& item : value) {
    std::string item_path = IndexPath(path, out->size());
    if (!item.is_string()) return WrongType(item_path, item, "a string");
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status JsonReader::ReadMillisecondsList(const json& value, const std::string& path,
                                              std::vector<absl::Duration>* out) const {
  if (!value.is_array()) {
    return WrongType(path, value, "a list of integer milliseconds");
  }
  for (const json& item : value) {
    BATON_ASSIGN_OR_RETURN(absl::Duration duration,
                           Milliseconds(item, IndexPath(path, out->size())));
    out->push_back(duration);
  }
  return absl::OkStatus();
}

}  // namespace baton::flow_spec_internal
