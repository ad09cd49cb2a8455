#include "common/rpc/unparsable_message.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/base/utf8.h"

namespace baton::rpc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// protobuf's default recursion limit: it refuses deeper messages too.
constexpr int kMaxDepth = 100;

// What is wrong, and where: `path` is relative to the message being read.
struct Problem {
  std::string path;
  std::string what;
  bool malformed = false;
};

Problem Malformed(std::string path) { return {std::move(path), "", true}; }

std::string Join(const std::string& prefix, const std::string& path) {
  if (path.empty()) return prefix;
  return path[0] == '[' ? prefix + path : absl::StrCat(prefix, ".", path);
}

std::optional<Problem> ReadMessage(const Descriptor& type, CodedInputStream& in, int depth);

std::optional<Problem> ReadString(CodedInputStream& in, uint32_t length) {
  std::string value;
  if (!in.ReadString(&value, static_cast<int>(length))) return Malformed("");
  const std::optional<size_t> bad = FindInvalidUtf8(value);
  if (!bad) return std::nullopt;
  return Problem{"", absl::StrCat("not valid UTF-8 at byte ", *bad, "; expected UTF-8 text")};
}

// `["zone"]` for the string key of a map entry's bytes; "" when it has no
// readable UTF-8 string key (then the entry is named by its index).
std::string MapKey(const Descriptor& entry, const std::string& bytes) {
  if (entry.map_key()->type() != FieldDescriptor::TYPE_STRING) return "";
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  std::string key;
  bool found = false;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    uint32_t length = 0;
    if (WireFormatLite::GetTagFieldNumber(tag) != 1) {
      if (!WireFormatLite::SkipField(&in, tag)) return "";
    } else if (!in.ReadVarint32(&length) || !in.ReadString(&key, static_cast<int>(length))) {
      return "";
    } else {
      found = true;
    }
  }
  if (!found || FindInvalidUtf8(key)) return "";
  return absl::StrCat("[", QuoteBytes(key, 128), "]");
}

// A map entry, read whole so that its key can name it.
std::optional<Problem> ReadMapEntry(const FieldDescriptor& field, int index, CodedInputStream& in,
                                    uint32_t length, int depth) {
  std::string bytes;
  if (!in.ReadString(&bytes, static_cast<int>(length))) return Malformed("");
  CodedInputStream entry(reinterpret_cast<const uint8_t*>(bytes.data()),
                         static_cast<int>(bytes.size()));
  std::optional<Problem> problem = ReadMessage(*field.message_type(), entry, depth + 1);
  if (!problem) return std::nullopt;
  const std::string key = MapKey(*field.message_type(), bytes);
  if (!key.empty() && problem->path.rfind("value", 0) == 0) {
    problem->path = key + problem->path.substr(5);
  } else {
    problem->path = Join(absl::StrCat("[", index, "]"), problem->path);
  }
  return problem;
}

// One length-delimited occurrence of `field`; `index` counts its earlier ones.
std::optional<Problem> ReadLengthDelimited(const FieldDescriptor& field, int index,
                                           CodedInputStream& in, int depth) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return Malformed("");
  std::optional<Problem> problem;
  if (field.type() == FieldDescriptor::TYPE_STRING) {
    problem = ReadString(in, length);
  } else if (field.type() != FieldDescriptor::TYPE_MESSAGE) {
    if (!in.Skip(static_cast<int>(length))) problem = Malformed("");
  } else if (depth >= kMaxDepth) {
    problem = Malformed("");
  } else if (field.is_map()) {
    problem = ReadMapEntry(field, index, in, length, depth);
  } else {
    const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
    problem = ReadMessage(*field.message_type(), in, depth + 1);
    in.PopLimit(limit);
  }
  if (!problem) return std::nullopt;
  const bool indexed = field.is_repeated() && !field.is_map();
  problem->path =
      Join(indexed ? absl::StrCat(field.name(), "[", index, "]") : field.name(), problem->path);
  return problem;
}

// Every field up to the stream's current limit; the first problem found.
std::optional<Problem> ReadMessage(const Descriptor& type, CodedInputStream& in, int depth) {
  std::map<int, int> seen;  // field number -> occurrences so far
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage() ? std::nullopt : std::optional(Malformed(""));
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (field == nullptr || !delimited) {
      if (!WireFormatLite::SkipField(&in, tag)) {
        return Malformed(field == nullptr ? "" : field->name());
      }
      continue;
    }
    const int index = seen[field->number()]++;
    if (auto problem = ReadLengthDelimited(*field, index, in, depth)) return problem;
  }
}

}  // namespace

absl::Status ExplainUnparsableMessage(const Descriptor& type,
                                      google::protobuf::io::ZeroCopyInputStream* bytes) {
  CodedInputStream in(bytes);
  std::optional<Problem> problem = ReadMessage(type, in, 0);
  if (!problem) problem = Malformed("");
  if (problem->malformed) {
    return absl::InvalidArgumentError(
        absl::StrCat(type.name(), ": malformed protobuf message",
                     problem->path.empty() ? "" : absl::StrCat(" (at ", problem->path, ")"),
                     "; expected a serialized ", type.full_name()));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Join(type.name(), problem->path), ": ", problem->what));
}

}  // namespace baton::rpc
