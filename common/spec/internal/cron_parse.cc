// ParseCron: five fields or a macro, with errors that point at the item.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "common/spec/cron.h"

namespace baton::cron {
namespace {

constexpr char kFieldsExpected[] =
    "5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily";
constexpr char kStepExpected[] = "a step of 1 or more";
// An over-long expression is quoted only this far in its error.
constexpr size_t kQuotedPrefix = 32;
constexpr size_t kMaxDigits = 4;

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 13> kMonthFullNames = {
    "",     "January", "February",  "March",   "April",    "May",     "June",
    "July", "August",  "September", "October", "November", "December"};
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
constexpr std::array<const char*, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                      "THU", "FRI", "SAT"};

struct Macro {
  const char* name;
  const char* fields;
};
constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}}};
constexpr char kMacrosExpected[] =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly";

struct FieldRule {
  const char* name;
  int min;
  int max;                   // largest value accepted (7 for day-of-week: Sunday again)
  int last;                  // where `*` and `a/n` end
  const char* const* names;  // names[i] stands for min + i
  int name_count;
  const char* expected;
};

constexpr std::array<FieldRule, 5> kFieldRules = {{
    {"minute", 0, 59, 59, nullptr, 0, "0-59"},
    {"hour", 0, 23, 23, nullptr, 0, "0-23"},
    {"day-of-month", 1, 31, 31, nullptr, 0, "1-31"},
    {"month", 1, 12, 12, kMonthNames.data(), 12, "1-12 or JAN-DEC"},
    {"day-of-week", 0, 7, 6, kWeekdayNames.data(), 7, "0-7 or SUN-SAT"},
}};

// A piece of the expression and its 0-based offset in the whole text.
struct Token {
  absl::string_view text;
  size_t offset;
};

struct Range {
  int low;
  int high;
};

std::string Quote(absl::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kQuotedPrefix)), "...\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

absl::Status Invalid(absl::string_view text, absl::string_view what, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("cron ", Quote(text), ": ", what, "; expected ", expected));
}

// "a", "a and b", "a, b and c".
std::string JoinList(const std::vector<std::string>& items, absl::string_view conjunction) {
  if (items.size() < 2) return absl::StrJoin(items, "");
  const std::vector<std::string> head(items.begin(), items.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " ", conjunction, " ", items.back());
}

std::vector<Token> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
    tokens.push_back(Token{text.substr(start, i - start), start});
  }
  return tokens;
}

bool AllDigits(absl::string_view s) {
  for (char ch : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return !s.empty();
}

bool AllLetters(absl::string_view s) {
  for (char ch : s) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(ch))) return false;
  }
  return !s.empty();
}

// Digits only; anything too long to be in range comes back as kTooLarge.
constexpr int kTooLarge = 1 << 20;
int DigitsValue(absl::string_view digits) {
  if (digits.size() > kMaxDigits) return kTooLarge;
  int value = 0;
  for (char ch : digits) value = value * 10 + (ch - '0');
  return value;
}

// Parses one field of the expression into a bit mask of the values it selects.
class FieldParser {
 public:
  FieldParser(absl::string_view expression, const FieldRule& rule)
      : expression_(expression), rule_(rule) {}

  absl::StatusOr<uint64_t> Parse(const Token& field) const {
    uint64_t bits = 0;
    size_t offset = field.offset;
    for (absl::string_view item : absl::StrSplit(field.text, ',')) {
      BATON_ASSIGN_OR_RETURN(const uint64_t item_bits, ParseItem(Token{item, offset}));
      bits |= item_bits;
      offset += item.size() + 1;
    }
    return bits;
  }

 private:
  absl::Status Fail(const Token& item, absl::string_view what, absl::string_view expected) const {
    return Invalid(
        expression_,
        absl::StrFormat("%s field at position %d: %s", rule_.name, item.offset + 1, what),
        expected);
  }

  absl::StatusOr<uint64_t> ParseItem(const Token& item) const {
    if (item.text.empty()) return Fail(item, "empty list item", "a value, range or step");
    absl::string_view base = item.text;
    int step = 1;
    const size_t slash = base.find('/');
    if (slash != absl::string_view::npos) {
      BATON_ASSIGN_OR_RETURN(step, ParseStep(item, base.substr(slash + 1)));
      base = base.substr(0, slash);
    }
    BATON_ASSIGN_OR_RETURN(const Range range,
                           ParseRange(item, base, slash != absl::string_view::npos));
    uint64_t bits = 0;
    for (int v = range.low; v <= range.high; v += step) bits |= uint64_t{1} << v;
    return bits;
  }

  absl::StatusOr<int> ParseStep(const Token& item, absl::string_view text) const {
    if (text.empty()) return Fail(item, "the step after / is missing", kStepExpected);
    if (!AllDigits(text)) {
      return Fail(item, absl::StrCat("step \"", absl::CHexEscape(text), "\" is not a number"),
                  kStepExpected);
    }
    const int step = DigitsValue(text);
    if (step == 0) return Fail(item, "step 0", kStepExpected);
    const int span = rule_.last - rule_.min + 1;
    if (step > span) {
      return Fail(item, absl::StrCat("step ", text, " is out of range"),
                  absl::StrCat("a step of 1-", span));
    }
    return step;
  }

  absl::StatusOr<Range> ParseRange(const Token& item, absl::string_view text, bool stepped) const {
    if (text == "*") return Range{rule_.min, rule_.last};
    const size_t dash = text.find('-');
    if (dash == absl::string_view::npos) {
      BATON_ASSIGN_OR_RETURN(const int value, ParseValue(item, text));
      // `a/n` runs to the field's end; a lone 7 (Sunday) is its own end.
      return Range{value, stepped ? std::max(value, rule_.last) : value};
    }
    BATON_ASSIGN_OR_RETURN(const int low, ParseValue(item, text.substr(0, dash)));
    BATON_ASSIGN_OR_RETURN(const int high, ParseValue(item, text.substr(dash + 1)));
    if (low > high) {
      return Fail(item, absl::StrCat("range ", text, " is reversed"),
                  "the lower bound first, such as 1-5");
    }
    return Range{low, high};
  }

  absl::StatusOr<int> ParseValue(const Token& item, absl::string_view text) const {
    if (text.empty()) return Fail(item, "a value is missing", rule_.expected);
    if (AllDigits(text)) {
      const int value = DigitsValue(text);
      if (value < rule_.min || value > rule_.max) {
        return Fail(item, absl::StrCat(text, " is out of range"), rule_.expected);
      }
      return value;
    }
    const std::string quoted = absl::StrCat("\"", absl::CHexEscape(text), "\"");
    if (rule_.names == nullptr || !AllLetters(text)) {
      return Fail(item, absl::StrCat(quoted, " is not a number"), rule_.expected);
    }
    for (int i = 0; i < rule_.name_count; ++i) {
      if (absl::EqualsIgnoreCase(text, rule_.names[i])) return rule_.min + i;
    }
    return Fail(item, absl::StrCat("unknown name ", quoted), rule_.expected);
  }

  absl::string_view expression_;
  const FieldRule& rule_;
};

// Only day-of-month can make a schedule impossible: a day no selected month
// has, while day-of-week does not widen the choice.
absl::Status CheckCanFire(absl::string_view text, const CronSpec& spec) {
  if (!spec.day_of_month_restricted || spec.day_of_week_restricted) return absl::OkStatus();
  std::vector<std::string> months;
  for (int m = 1; m <= 12; ++m) {
    if (!spec.months[m]) continue;
    for (int d = 1; d <= kMaxDaysInMonth[m]; ++d) {
      if (spec.days_of_month[d]) return absl::OkStatus();
    }
    months.push_back(kMonthFullNames[m]);
  }
  std::vector<std::string> days;
  for (int d = 1; d <= 31; ++d) {
    if (spec.days_of_month[d]) days.push_back(absl::StrCat(d));
  }
  return Invalid(
      text,
      absl::StrCat("can never fire: ", JoinList(months, "and"),
                   months.size() == 1 ? " has" : " have", " no day ", JoinList(days, "or")),
      "a day that exists");
}

absl::StatusOr<CronSpec> ParseFields(absl::string_view text, const std::vector<Token>& fields) {
  std::array<uint64_t, 5> bits{};
  for (size_t i = 0; i < fields.size(); ++i) {
    BATON_ASSIGN_OR_RETURN(bits[i], FieldParser(text, kFieldRules[i]).Parse(fields[i]));
  }
  CronSpec spec;
  spec.minutes = std::bitset<60>(bits[0]);
  spec.hours = std::bitset<24>(bits[1]);
  spec.days_of_month = std::bitset<32>(bits[2]);
  spec.months = std::bitset<13>(bits[3]);
  spec.days_of_week = std::bitset<7>(bits[4] | (bits[4] >> 7));  // 7 is Sunday too
  spec.day_of_month_restricted = fields[2].text != "*";
  spec.day_of_week_restricted = fields[4].text != "*";
  spec.every_hour = fields[1].text == "*";
  BATON_RETURN_IF_ERROR(CheckCanFire(text, spec));
  spec.text = std::string(text);
  return spec;
}

absl::StatusOr<CronSpec> ParseMacro(absl::string_view text, const std::vector<Token>& tokens) {
  const Token& macro = tokens[0];
  const std::string where = absl::StrFormat("macro at position %d: ", macro.offset + 1);
  for (const Macro& known : kMacros) {
    if (!absl::EqualsIgnoreCase(macro.text, known.name)) continue;
    if (tokens.size() > 1) {
      return Invalid(text,
                     absl::StrFormat("%s%s is followed by more text at position %d", where,
                                     known.name, tokens[1].offset + 1),
                     "the macro alone");
    }
    BATON_ASSIGN_OR_RETURN(CronSpec spec, ParseFields(known.fields, Tokenize(known.fields)));
    spec.text = std::string(text);
    return spec;
  }
  return Invalid(text, absl::StrCat(where, "unknown macro \"", absl::CHexEscape(macro.text), "\""),
                 kMacrosExpected);
}

}  // namespace

absl::StatusOr<CronSpec> ParseCron(absl::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return Invalid(text, absl::StrFormat("too long (%d characters)", text.size()),
                   absl::StrFormat("at most %d characters", kMaxExpressionLength));
  }
  const std::vector<Token> tokens = Tokenize(text);
  if (tokens.empty()) return Invalid(text, "empty", kFieldsExpected);
  if (tokens[0].text[0] == '@') return ParseMacro(text, tokens);
  if (tokens.size() != kFieldRules.size()) {
    return Invalid(text,
                   absl::StrFormat("%d field%s", tokens.size(), tokens.size() == 1 ? "" : "s"),
                   kFieldsExpected);
  }
  return ParseFields(text, tokens);
}

}  // namespace baton::cron
