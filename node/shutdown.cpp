#include "node/shutdown.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace cc {
namespace {

std::atomic<bool> g_shutdown_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need a lock-free flag");
// [0] read end, [1] write end; -1 until InitShutdownHandling.
int g_wake_pipe[2] = {-1, -1};

void HandleSignal(int) { RequestShutdown(); }

}  // namespace

Status InitShutdownHandling() {
  if (g_wake_pipe[0] >= 0) return Status::OK();
  if (::pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::IOError(std::string("cannot create the shutdown pipe: ") + std::strerror(errno));
  }
  struct sigaction action {};
  action.sa_handler = HandleSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return Status::OK();
}

void RequestShutdown() {
  if (g_shutdown_requested.exchange(true)) return;
  if (g_wake_pipe[1] >= 0) {
    const char byte = 1;
    // A full pipe already wakes the reader; nothing else can go wrong here
    // that a signal handler could act on.
    [[maybe_unused]] const ssize_t n = ::write(g_wake_pipe[1], &byte, 1);
  }
}

bool ShutdownRequested() { return g_shutdown_requested.load(); }

bool WaitForShutdown(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ShutdownRequested()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{g_wake_pipe[0], POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      ::usleep(100'000);  // poll failing is not expected; keep waiting, just less efficiently
    }
  }
  return true;
}

}  // namespace cc
