// Every configured remote-write target, started and stopped together, and
// the place the log readers of removed targets are forgotten.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "collector/remote_write/remote_writer.h"

namespace rollguard::collector {

class RemoteWriters {
 public:
  // Drops the log cursors of targets no longer configured, then starts one
  // writer per target. Borrows storage and clock.
  [[nodiscard]] absl::Status Start(const std::vector<RemoteWriteConfig>& configs, Storage* storage,
                                   const Clock* clock);
  void Stop();  // idempotent; before the storage closes
  // One entry per target, in config order. Thread-safe.
  std::vector<RemoteWriteStats> Stats() const;

 private:
  std::vector<std::unique_ptr<RemoteWriter>> writers_;
};

}  // namespace rollguard::collector
