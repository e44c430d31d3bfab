// What a source produces each interval: a value for a named, labelled metric.
#pragma once

#include <string>
#include <vector>

#include "common/labels.h"

namespace rollguard::agent {

struct Reading {
  std::string metric;
  Labels labels;
  double value = 0;
};

using Readings = std::vector<Reading>;

}  // namespace rollguard::agent
