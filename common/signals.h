// Turns SIGINT/SIGTERM into a plain callback on a dedicated thread, so shutdown
// code runs outside signal context and may take locks.
#pragma once

#include <functional>
#include <thread>

namespace rollguard {

// Call first thing in main(), before any thread starts: blocks the signals in
// every thread, then starts a thread that calls `on_signal(signo)` each time
// SIGINT or SIGTERM arrives, and `on_reload()` on SIGHUP (if given). The
// thread is detached and lives until exit.
void HandleTerminationSignals(std::function<void(int)> on_signal,
                              std::function<void()> on_reload = nullptr);

}  // namespace rollguard
