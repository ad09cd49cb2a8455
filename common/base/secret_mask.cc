#include "common/base/secret_mask.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/base/limits.h"

namespace baton {

SecretMask::SecretMask(const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    if (!v.empty() && std::find(values_.begin(), values_.end(), v) == values_.end()) {
      values_.push_back(v);
    }
  }
  std::stable_sort(values_.begin(), values_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretMask::Apply(absl::string_view text) const {
  std::string out(text);
  for (const std::string& v : values_) absl::StrReplaceAll({{v, kMaskedSecret}}, &out);
  return out;
}

nlohmann::json SecretMask::ApplyToJson(const nlohmann::json& value) const {
  if (empty()) return value;
  return ApplyToJson(value, 0);
}

nlohmann::json SecretMask::ApplyToJson(const nlohmann::json& value, int depth) const {
  if (value.is_string()) return Apply(value.get_ref<const std::string&>());
  if (depth >= kMaxJsonDepth) return value;
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& item : value) out.push_back(ApplyToJson(item, depth + 1));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& item : value.items()) {
      out.emplace(Apply(item.key()), ApplyToJson(item.value(), depth + 1));
    }
    return out;
  }
  return value;
}

std::string SecretStreamMask::Feed(absl::string_view chunk) {
  if (mask_.empty()) return std::string(chunk);
  pending_.append(chunk.data(), chunk.size());
  const size_t end = SafeEnd();
  std::string out = mask_.Apply(absl::string_view(pending_).substr(0, end));
  pending_.erase(0, end);
  return out;
}

std::string SecretStreamMask::Finish() {
  std::string out = mask_.Apply(pending_);
  pending_.clear();
  return out;
}

// The longest ending of what is pending that is the start of some secret
// (and not a whole one): the next chunk may complete it.
size_t SecretStreamMask::HeldBackLength() const {
  size_t longest = 0;
  for (const std::string& v : mask_.values()) {
    for (size_t k = std::min(v.size() - 1, pending_.size()); k > longest; --k) {
      if (absl::EndsWith(pending_, absl::string_view(v).substr(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}

// Where the pending text may be cut: before what is held back, and never
// inside a whole occurrence (one secret may overlap the start of another).
size_t SecretStreamMask::SafeEnd() const {
  size_t end = pending_.size() - HeldBackLength();
  for (bool moved = true; moved;) {
    moved = false;
    for (const std::string& v : mask_.values()) {
      for (size_t p = end >= v.size() ? end - v.size() + 1 : 0; p < end && !moved; ++p) {
        if (pending_.compare(p, v.size(), v) == 0) {
          end = p;
          moved = true;
        }
      }
    }
  }
  return end;
}

}  // namespace baton
