// The UTF-8 checks (common/base/utf8.h): the offset of the first bad byte, the
// line and column it is at, and quoting bad bytes for a message. The rule is
// checked against protobuf's own, which is the one that refuses requests.
#include "common/base/utf8.h"

#include <google/protobuf/stubs/common.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton {
namespace {

using ::testing::Optional;

TEST(FindInvalidUtf8, FindsTheFirstByteOfAnIllFormedSequence) {
  EXPECT_EQ(FindInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("plain ascii"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::nullopt);
  EXPECT_THAT(FindInvalidUtf8("k=\xff"), Optional(2));
  EXPECT_THAT(FindInvalidUtf8("caf\xe9"), Optional(3));           // Latin-1
  EXPECT_THAT(FindInvalidUtf8("ab\xe2\x82"), Optional(2));        // truncated
  EXPECT_THAT(FindInvalidUtf8("\xc0\xaf"), Optional(0));          // overlong '/'
  EXPECT_THAT(FindInvalidUtf8("\xe0\x80\xaf"), Optional(0));      // overlong
  EXPECT_THAT(FindInvalidUtf8("x\xed\xa0\x80"), Optional(1));     // surrogate U+D800
  EXPECT_THAT(FindInvalidUtf8("\xf4\x90\x80\x80"), Optional(0));  // above U+10FFFF
  EXPECT_THAT(FindInvalidUtf8("\x80"), Optional(0));              // lone continuation
}

TEST(FindInvalidUtf8, AgreesWithProtobuf) {
  std::vector<std::string> samples;
  for (int a = 0; a < 256; ++a) {
    for (int b : {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}) {
      samples.push_back({static_cast<char>(a), static_cast<char>(b)});
      samples.push_back({static_cast<char>(a), static_cast<char>(b), '\x80'});
      samples.push_back({static_cast<char>(a), static_cast<char>(b), '\x80', '\xbf'});
    }
  }
  for (const std::string& s : samples) {
    EXPECT_EQ(!FindInvalidUtf8(s).has_value(), google::protobuf::internal::IsStructurallyValidUTF8(
                                                   s.data(), static_cast<int>(s.size())))
        << QuoteBytes(s);
  }
}

TEST(PositionOf, CountsLinesAndCharacters) {
  const std::string text = "name: x\ntasks:\n  - {name: caf\xc3\xa9\xff}\n";
  const size_t bad = *FindInvalidUtf8(text);
  const TextPosition at = PositionOf(text, bad);
  EXPECT_EQ(at.line, 3);
  EXPECT_EQ(at.column, 16);  // é is one character
  EXPECT_EQ(PositionOf(text, 0).line, 1);
  EXPECT_EQ(PositionOf(text, 0).column, 1);
}

TEST(QuoteBytes, EscapesWhatIsNotPrintableAscii) {
  EXPECT_EQ(QuoteBytes("k=\xff"), R"("k=\xff")");
  EXPECT_EQ(QuoteBytes("say \"hi\"\n"), R"("say \"hi\"\x0a")");
  EXPECT_EQ(QuoteBytes("abcdef", 3), R"("abc...")");
}

TEST(CheckUtf8, NamesTheFlagTheByteAndTheExpectation) {
  EXPECT_TRUE(CheckUtf8("--reason", "fine").ok());
  EXPECT_EQ(CheckUtf8("--idempotency-key", "abc\xff").message(),
            R"(--idempotency-key "abc\xff": not valid UTF-8 at byte 3; expected UTF-8 text)");
  EXPECT_EQ(CheckUtf8File("flow.yaml", "a: 1\nb: \xe9\n").message(),
            "flow.yaml (line 2, column 4): not valid UTF-8 at byte 8 (0xE9); expected UTF-8 text");
  EXPECT_TRUE(CheckUtf8File("flow.yaml", "a: caf\xc3\xa9\n").ok());
}

}  // namespace
}  // namespace baton
