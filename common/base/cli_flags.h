// Command-line helpers shared by the three binaries (CLI11).
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"

namespace baton {

// Adds `--name` taking a duration such as "30s", "500ms", "2m" (absl syntax),
// stored into `*out`, whose current value is the default shown in --help.
inline CLI::Option* AddDurationOption(CLI::App& app, const std::string& name, absl::Duration* out,
                                      const std::string& description) {
  return app
      .add_option_function<std::string>(
          name,
          [out, name](const std::string& text) {
            absl::Duration d;
            if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration()) {
              throw CLI::ValidationError(name, "\"" + text +
                                                   "\" is not a duration; expected e.g. 30s, "
                                                   "500ms, 2m");
            }
            *out = d;
          },
          description)
      ->default_str(absl::FormatDuration(*out));
}

}  // namespace baton
