// Process-wide settings for the long-running programs (collector, agent),
// called first thing in main before any thread starts.
#pragma once

namespace rollguard {

// - glibc gives each busy thread (gRPC, ingest workers, the sealer, RocksDB)
//   its own malloc arena, and memory freed in one is not reused by another:
//   with a million series that fragmentation was ~70 MB of the collector's
//   RSS. Two arenas are plenty for a 2-core host. (MALLOC_ARENA_MAX in the
//   environment wins.)
// - gRPC's locks are absl::Mutex, and Debian's Abseil checks every lock
//   order for cycles at run time (a graph update per lock): 8-12% of the
//   collector's CPU with 10,000 streams (perf, docs/PERFORMANCE.md). A
//   development aid, not a guard: off here. The tests keep it on.
void PrepareDaemonProcess();

}  // namespace rollguard
