#include "agent/statsd/statsd_parser.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollguard::agent {
namespace {

bool ParseNumber(absl::string_view s, double* v) {
  if (s.empty() || s.size() > 64) return false;
  if (!absl::SimpleAtod(s, v)) return false;
  return std::isfinite(*v);
}

absl::Status Bad(absl::string_view what) { return absl::InvalidArgumentError(what); }

}  // namespace

absl::Status ParseStatsdLine(absl::string_view line, StatsdLine* out) {
  out->values.clear();
  out->tags.clear();
  out->set_member = {};
  out->gauge_delta = false;
  out->sample_rate = 1.0;

  size_t colon = line.find(':');
  size_t bar = line.find('|');
  if (bar == absl::string_view::npos) return Bad("no '|type' field");
  if (colon == absl::string_view::npos || colon > bar) return Bad("no ':' between name and value");
  out->name = line.substr(0, colon);
  if (out->name.empty()) return Bad("empty metric name");
  absl::string_view value_text = line.substr(colon + 1, bar - colon - 1);

  // Fields after the value: the type first, then @rate, #tags, c:, T.
  absl::string_view rest = line.substr(bar + 1);
  absl::string_view type_text = rest.substr(0, rest.find('|'));
  rest = type_text.size() < rest.size() ? rest.substr(type_text.size() + 1) : absl::string_view();
  if (type_text == "c") {
    out->type = StatsdType::kCounter;
  } else if (type_text == "g") {
    out->type = StatsdType::kGauge;
  } else if (type_text == "ms") {
    out->type = StatsdType::kTimer;
  } else if (type_text == "h") {
    out->type = StatsdType::kHistogram;
  } else if (type_text == "d") {
    out->type = StatsdType::kDistribution;
  } else if (type_text == "s") {
    out->type = StatsdType::kSet;
  } else {
    return Bad(absl::StrCat("unknown type '", type_text.substr(0, 16), "'"));
  }

  while (!rest.empty()) {
    absl::string_view field = rest.substr(0, rest.find('|'));
    rest = field.size() < rest.size() ? rest.substr(field.size() + 1) : absl::string_view();
    if (field.empty()) return Bad("empty field");
    if (field[0] == '@') {
      if (!ParseNumber(field.substr(1), &out->sample_rate) || out->sample_rate <= 0 ||
          out->sample_rate > 1) {
        return Bad("sample rate must be in (0, 1]");
      }
    } else if (field[0] == '#') {
      absl::string_view tags = field.substr(1);
      while (!tags.empty()) {
        absl::string_view tag = tags.substr(0, tags.find(','));
        tags = tag.size() < tags.size() ? tags.substr(tag.size() + 1) : absl::string_view();
        if (tag.empty()) continue;
        size_t c = tag.find(':');
        StatsdTag t;
        t.key = tag.substr(0, c);
        t.value = c == absl::string_view::npos ? absl::string_view() : tag.substr(c + 1);
        if (t.key.empty()) return Bad("tag with an empty name");
        out->tags.push_back(t);
      }
    } else if (field[0] == 'c' && field.size() > 1 && field[1] == ':') {
      // DogStatsD container id: not ours to use.
    } else if (field[0] == 'T') {
      // DogStatsD client timestamp: we stamp on arrival.
    } else {
      return Bad(absl::StrCat("unknown field '", field.substr(0, 16), "'"));
    }
  }

  if (out->type == StatsdType::kSet) {
    if (value_text.empty()) return Bad("empty set member");
    out->set_member = value_text;
    return absl::OkStatus();
  }
  if (out->type == StatsdType::kGauge && !value_text.empty() &&
      (value_text[0] == '+' || value_text[0] == '-')) {
    out->gauge_delta = true;
  }
  while (true) {
    absl::string_view v = value_text.substr(0, value_text.find(':'));
    double d = 0;
    if (!ParseNumber(v, &d)) {
      return Bad(absl::StrCat("value '", v.substr(0, 32), "' is not a finite number"));
    }
    if ((out->type == StatsdType::kTimer) && d < 0) return Bad("negative timer value");
    out->values.push_back(d);
    if (v.size() == value_text.size()) break;
    value_text = value_text.substr(v.size() + 1);
    if (out->values.size() >= 1024) return Bad("too many packed values");
  }
  return absl::OkStatus();
}

}  // namespace rollguard::agent
