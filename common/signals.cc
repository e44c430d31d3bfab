#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

namespace rollguard {

void HandleTerminationSignals(std::function<void(int)> on_signal, std::function<void()> on_reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (on_reload) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, on_signal = std::move(on_signal), on_reload = std::move(on_reload)] {
    while (true) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0) continue;
      if (signo == SIGHUP) {
        on_reload();
      } else {
        on_signal(signo);
      }
    }
  }).detach();
}

}  // namespace rollguard
