// eventually.hpp — polling for something another process does (a line in
// its stderr, a file it creates), bounded so that a test never hangs. A
// time-out is a failed condition, never a timing assertion.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sigrun::testing {

// Waits up to `limit` for `done`; false on time-out.
inline bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

}  // namespace sigrun::testing
