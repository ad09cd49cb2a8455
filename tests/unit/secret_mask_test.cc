// Masking secret values: in text, in JSON values, and in a stream that
// arrives in chunks (a secret split across chunks is masked whole).
#include "common/base/secret_mask.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace baton {
namespace {

using ::nlohmann::json;

TEST(SecretMask, ReplacesEveryOccurrenceLongestFirst) {
  EXPECT_EQ(SecretMask({"abc123"}).Apply("pw=abc123 again abc123"), "pw=*** again ***");
  // "abc" is part of "abc123": the longer secret is masked whole first.
  EXPECT_EQ(SecretMask({"abc", "abc123"}).Apply("abc123 abc"), "*** ***");
  EXPECT_EQ(SecretMask({""}).Apply("nothing here"), "nothing here");
  EXPECT_TRUE(SecretMask({""}).empty());
  EXPECT_EQ(SecretMask().Apply("no secrets"), "no secrets");
}

TEST(SecretMask, MasksEveryStringOfAJsonValueKeysIncluded) {
  const SecretMask mask({"tok-123"});
  const json result = {{"token", "tok-123"},
                       {"nested", {{"list", {1, "pre-tok-123-post", {{"tok-123", true}}}}}},
                       {"count", 5},
                       {"none", nullptr}};
  EXPECT_EQ(mask.ApplyToJson(result),
            json({{"token", "***"},
                  {"nested", {{"list", {1, "pre-***-post", {{"***", true}}}}}},
                  {"count", 5},
                  {"none", nullptr}}));
  EXPECT_EQ(mask.ApplyToJson("tok-123"), json("***"));
  EXPECT_EQ(SecretMask().ApplyToJson(result), result);
}

TEST(SecretMask, KeysThatMaskAlikeKeepTheFirst) {
  const json masked = SecretMask({"k1", "k2"}).ApplyToJson({{"k1", 1}, {"k2", 2}});
  EXPECT_EQ(masked, json({{"***", 1}}));
}

// Feeds `text` cut at `cuts` and returns everything the mask gave back.
std::string Stream(const SecretMask& mask, const std::string& text, std::vector<size_t> cuts) {
  SecretStreamMask stream(mask);
  std::string out;
  size_t from = 0;
  cuts.push_back(text.size());
  for (size_t cut : cuts) {
    out += stream.Feed(text.substr(from, cut - from));
    from = cut;
  }
  return out + stream.Finish();
}

TEST(SecretStreamMask, MasksASecretSplitAtAnyPointAsIfWhole) {
  const SecretMask mask({"hunter2-0xC0FFEE", "abab", "abc", "abcdef"});
  for (const std::string text :
       {"token hunter2-0xC0FFEE and hunter2-0xC0FFEE\n", "xabab abcdef abc abcabcdef ababab"}) {
    for (size_t i = 0; i <= text.size(); ++i) {
      for (size_t j = i; j <= text.size(); ++j) {
        EXPECT_EQ(Stream(mask, text, {i, j}), mask.Apply(text))
            << text << " cut at " << i << ", " << j;
      }
    }
  }
}

TEST(SecretStreamMask, HoldsBackOnlyWhatMayStartASecret) {
  SecretStreamMask stream(SecretMask({"hunter2"}));
  EXPECT_EQ(stream.Feed("line 1\n"), "line 1\n");
  EXPECT_EQ(stream.Feed("token hun"), "token ");
  EXPECT_EQ(stream.Feed("ter2 ok\nhunt"), "*** ok\n");
  EXPECT_EQ(stream.Finish(), "hunt");  // the stream ended: not a secret after all
}

TEST(SecretStreamMask, AShorterSecretWaitsForTheLongerOneItStarts) {
  SecretStreamMask stream(SecretMask({"abc", "abcdef"}));
  EXPECT_EQ(stream.Feed("x abc"), "x ");
  EXPECT_EQ(stream.Feed("def abc"), "*** ");
  EXPECT_EQ(stream.Feed("zz"), "***zz");
}

TEST(SecretStreamMask, WithoutSecretsPassesEverythingAtOnce) {
  SecretStreamMask stream{SecretMask()};
  EXPECT_EQ(stream.Feed("abc"), "abc");
  EXPECT_EQ(stream.Finish(), "");
}

}  // namespace
}  // namespace baton
