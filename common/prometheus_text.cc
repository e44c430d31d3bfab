#include "common/prometheus_text.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace rollguard {

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void PrometheusText::Family(absl::string_view name, absl::string_view type,
                            absl::string_view help) {
  family_ = std::string(name);
  // HELP text escapes only backslash and newline.
  std::string h;
  for (char c : help) {
    if (c == '\\') {
      h += "\\\\";
    } else if (c == '\n') {
      h += "\\n";
    } else {
      h += c;
    }
  }
  absl::StrAppend(&out_, "# HELP ", name, " ", h, "\n# TYPE ", name, " ", type, "\n");
}

void PrometheusText::Sample(double value, const LabelPairs& labels) {
  absl::StrAppend(&out_, family_);
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&out_, i > 0 ? "," : "", labels[i].first, "=\"",
                      EscapeLabelValue(labels[i].second), "\"");
    }
    out_ += '}';
  }
  if (std::isnan(value)) {
    absl::StrAppend(&out_, " NaN\n");
  } else if (std::isinf(value)) {
    absl::StrAppend(&out_, value > 0 ? " +Inf\n" : " -Inf\n");
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(&out_, " ", static_cast<int64_t>(value), "\n");
  } else {
    char buf[32];  // the shortest text that reads back as the same double
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    absl::StrAppend(&out_, " ", absl::string_view(buf, static_cast<size_t>(end - buf)), "\n");
  }
}

}  // namespace rollguard
