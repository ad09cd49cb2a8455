// Why protobuf refused to parse a message: the wire bytes read again, field
// by field, with the message's descriptor. Pure (protobuf only); thread-safe.
#pragma once

#include "absl/status/status.h"

namespace google::protobuf {
class Descriptor;
namespace io {
class ZeroCopyInputStream;
}
}  // namespace google::protobuf

namespace baton::rpc {

// Reads `bytes`, a serialized message of `type` that failed to parse, and
// says what is wrong with it, as INVALID_ARGUMENT:
//   "StartRunRequest.idempotency_key: not valid UTF-8 at byte 3; expected
//    UTF-8 text"
// for the first `string` field holding invalid UTF-8 (which proto3 refuses),
// at any depth. The path names repeated elements by index
// (`attempts[1].lease_token`) and map values by key (`labels["zone"]`, or
// `labels[2].key` for a key that is itself bad). Bytes that are not a valid
// encoding at all, or nest deeper than protobuf's limit of 100 messages, are
// "<Type>: malformed protobuf message (at <path>); expected a serialized
// <full name>".
absl::Status ExplainUnparsableMessage(const google::protobuf::Descriptor& type,
                                      google::protobuf::io::ZeroCopyInputStream* bytes);

}  // namespace baton::rpc
