// The StatsD line protocol with DogStatsD tags:
//
//   <name>:<value>[:<value>...]|<type>[|@<sample rate>][|#<tag>[:<value>],...]
//
// type: c (counter), g (gauge; a leading + or - makes it relative), ms (timer),
// h (histogram), d (distribution), s (set). DogStatsD's |c:<container> and
// |T<timestamp> fields are accepted and ignored. Parsing allocates nothing:
// the result points into the caller's buffer.
#pragma once

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rollguard::agent {

enum class StatsdType { kCounter, kGauge, kTimer, kHistogram, kDistribution, kSet };

struct StatsdTag {
  absl::string_view key;
  absl::string_view value;  // empty for a bare tag
};

struct StatsdLine {
  absl::string_view name;
  StatsdType type = StatsdType::kCounter;
  // Numeric values (several with DogStatsD's packed form "t:1:2:3|ms").
  absl::InlinedVector<double, 1> values;
  // For sets: the member, as text.
  absl::string_view set_member;
  // A gauge value written with a leading + or -: add instead of set.
  bool gauge_delta = false;
  double sample_rate = 1.0;
  absl::InlinedVector<StatsdTag, 4> tags;
};

// Parses one line (no trailing newline). On error `out` is unspecified and the
// message says what is wrong, without quoting the line (the caller does).
[[nodiscard]] absl::Status ParseStatsdLine(absl::string_view line, StatsdLine* out);

// Calls `on_line` for each non-empty line of a datagram and `on_error` for
// each malformed one; a bad line never stops the rest of the datagram.
template <typename OnLine, typename OnError>
void ParseStatsdDatagram(absl::string_view datagram, OnLine on_line, OnError on_error) {
  StatsdLine line;
  while (!datagram.empty()) {
    size_t nl = datagram.find('\n');
    absl::string_view text = datagram.substr(0, nl);
    datagram = nl == absl::string_view::npos ? absl::string_view() : datagram.substr(nl + 1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) continue;
    absl::Status s = ParseStatsdLine(text, &line);
    if (s.ok()) {
      on_line(line);
    } else {
      on_error(text, s);
    }
  }
}

}  // namespace rollguard::agent
