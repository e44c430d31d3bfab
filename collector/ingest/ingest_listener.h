// What ingest hands on once it has stored something. Ingest does not know who
// listens (the alerting engine, wired in collector.h), so ingest and alerting
// do not depend on each other, and a test can listen with a fake.
#pragma once

#include <string>

#include "absl/types/span.h"
#include "collector/storage/storage.h"
#include "common/labels.h"

namespace rollguard::collector {

class IngestListener {
 public:
  virtual ~IngestListener() = default;
  // An agent said hello (its host id and labels), before any of its samples.
  virtual void OnHostHello(const std::string& host, const Labels& labels) = 0;
  // Samples now durable. Called on an ingest worker, never a gRPC thread.
  virtual void OnStored(absl::Span<const StoredSample> samples) = 0;
};

}  // namespace rollguard::collector
