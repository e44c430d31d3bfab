#include "agent/scrape/prometheus_text_parser.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollguard::agent {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_' || c == ':'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == ':'; }

void SkipBlanks(absl::string_view* in) {
  while (!in->empty() && (in->front() == ' ' || in->front() == '\t')) in->remove_prefix(1);
}

// [a-zA-Z_:][a-zA-Z0-9_:]* (label names are checked further by the caller).
absl::string_view TakeName(absl::string_view* in) {
  size_t n = 0;
  if (n < in->size() && IsNameStart((*in)[n])) {
    ++n;
    while (n < in->size() && IsNameChar((*in)[n])) ++n;
  }
  absl::string_view name = in->substr(0, n);
  in->remove_prefix(n);
  return name;
}

// After the opening quote: the value up to the closing one, with \\ \" \n.
absl::Status TakeQuoted(absl::string_view* in, std::string* out) {
  while (!in->empty()) {
    char c = in->front();
    in->remove_prefix(1);
    if (c == '"') return absl::OkStatus();
    if (c == '\\') {
      if (in->empty()) break;
      char e = in->front();
      in->remove_prefix(1);
      if (e == 'n') {
        out->push_back('\n');
      } else if (e == '\\' || e == '"') {
        out->push_back(e);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown escape \\", std::string(1, e), " in a label value"));
      }
      continue;
    }
    out->push_back(c);
  }
  return absl::InvalidArgumentError("a label value has no closing quote");
}

absl::Status TakeLabels(absl::string_view* in, Labels* labels) {
  // After '{'.
  while (true) {
    SkipBlanks(in);
    if (!in->empty() && in->front() == '}') {
      in->remove_prefix(1);
      return absl::OkStatus();
    }
    absl::string_view name = TakeName(in);
    if (name.empty() || !IsValidLabelName(name)) {
      return absl::InvalidArgumentError("expected a label name");
    }
    SkipBlanks(in);
    if (in->empty() || in->front() != '=') {
      return absl::InvalidArgumentError(absl::StrCat("expected = after label ", name));
    }
    in->remove_prefix(1);
    SkipBlanks(in);
    if (in->empty() || in->front() != '"') {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, ": value must be quoted"));
    }
    in->remove_prefix(1);
    std::string value;
    if (absl::Status s = TakeQuoted(in, &value); !s.ok()) return s;
    if (!labels->emplace(std::string(name), std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat("label ", name, " given twice"));
    }
    SkipBlanks(in);
    if (!in->empty() && in->front() == ',') {
      in->remove_prefix(1);
    } else if (in->empty() || in->front() != '}') {
      return absl::InvalidArgumentError("expected , or } after a label");
    }
  }
}

bool ParseValue(absl::string_view text, double* v) {
  // Go's ParseFloat spellings that prometheus_client writes.
  if (text == "NaN") {
    *v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "+Inf" || text == "Inf") {
    *v = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    *v = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() ||
      !(absl::ascii_isdigit(text.front()) || text.front() == '-' || text.front() == '.')) {
    return false;
  }
  return absl::SimpleAtod(text, v);
}

absl::string_view TakeField(absl::string_view* in) {
  size_t n = 0;
  while (n < in->size() && (*in)[n] != ' ' && (*in)[n] != '\t') ++n;
  absl::string_view f = in->substr(0, n);
  in->remove_prefix(n);
  return f;
}

}  // namespace

absl::Status ParseSampleLine(absl::string_view line, ScrapedSample* out) {
  absl::string_view in = line;
  SkipBlanks(&in);
  absl::string_view name = TakeName(&in);
  if (name.empty()) return absl::InvalidArgumentError("expected a metric name");
  out->name = std::string(name);
  out->labels.clear();
  out->timestamp_ms.reset();
  SkipBlanks(&in);
  if (!in.empty() && in.front() == '{') {
    in.remove_prefix(1);
    if (absl::Status s = TakeLabels(&in, &out->labels); !s.ok()) return s;
    SkipBlanks(&in);
  }
  absl::string_view value = TakeField(&in);
  if (!ParseValue(value, &out->value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", value.substr(0, 32), "' is not a sample value"));
  }
  SkipBlanks(&in);
  if (!in.empty()) {
    absl::string_view ts = TakeField(&in);
    int64_t ms = 0;
    if (!absl::SimpleAtoi(ts, &ms)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", ts.substr(0, 32), "' is not a timestamp in milliseconds"));
    }
    out->timestamp_ms = ms;
    SkipBlanks(&in);
    if (!in.empty()) return absl::InvalidArgumentError("unexpected text after the timestamp");
  }
  return absl::OkStatus();
}

void ParsePrometheusText(absl::string_view text,
                         const std::function<void(ScrapedSample&&)>& on_sample,
                         const std::function<void(size_t line, const absl::Status&)>& on_error) {
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    absl::string_view line = text.substr(0, end);
    text.remove_prefix(end == absl::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    ScrapedSample sample;
    if (absl::Status s = ParseSampleLine(trimmed, &sample); !s.ok()) {
      on_error(number, s);
      continue;
    }
    on_sample(std::move(sample));
  }
}

}  // namespace rollguard::agent
