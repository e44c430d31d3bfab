#include "collector/remote_write/remote_writers.h"

#include <string>

#include "common/status_macros.h"

namespace rollguard::collector {

absl::Status RemoteWriters::Start(const std::vector<RemoteWriteConfig>& configs, Storage* storage,
                                  const Clock* clock) {
  std::vector<std::string> names;
  for (const RemoteWriteConfig& c : configs) names.push_back(c.name);
  RETURN_IF_ERROR(storage->RetainLogReaders(names));
  for (const RemoteWriteConfig& c : configs) {
    auto writer = std::make_unique<RemoteWriter>(c, storage, clock);
    RETURN_IF_ERROR(writer->Start());
    writers_.push_back(std::move(writer));
  }
  return absl::OkStatus();
}

void RemoteWriters::Stop() {
  for (auto& w : writers_) w->Stop();
}

std::vector<RemoteWriteStats> RemoteWriters::Stats() const {
  std::vector<RemoteWriteStats> out;
  for (const auto& w : writers_) out.push_back(w->Stats());
  return out;
}

}  // namespace rollguard::collector
