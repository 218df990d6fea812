#pragma once

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace rine::cli {

// Ctrl-C and SIGTERM for long commands (scan, report, train): the first sets the command's
// cancel flag (it stops at the next safe point, leaving nothing half-written); the second
// stops the process at once, whatever it is doing (a decode or metadata search that does not
// look at the flag). Async-signal-safe: an atomic exchange, write(2), signal, raise.
inline std::atomic<bool> *g_interruptFlag = nullptr;
inline const char *g_interruptMessage = "";

extern "C" inline void onCliInterrupt(int signal)
{
    if (!g_interruptFlag || g_interruptFlag->exchange(true)) {
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    std::size_t length = 0;
    while (g_interruptMessage[length])
        ++length;
    const ssize_t ignored = ::write(STDERR_FILENO, g_interruptMessage, length);
    (void)ignored;
}

// message: said on the first signal, e.g. "\nrine-cli report: interrupted; ... again to stop at once\n".
inline void stopOnInterrupt(std::atomic<bool> &flag, const char *message)
{
    g_interruptFlag = &flag;
    g_interruptMessage = message;
    struct sigaction action {};
    action.sa_handler = onCliInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

} // namespace rine::cli
