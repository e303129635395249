// bridge_child.hpp — how the bridge tests start nats-server, sigrun-bridge
// and sigrun: a SpawnedProcess whose output files are appended to, so that
// a node or bridge restarted under the same name keeps one log across its
// lives. Not under valgrind in the memcheck build (see CMakeLists.txt).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spawned_process.hpp"
#include "text.hpp"

namespace sigrun::testing {

inline std::unique_ptr<SpawnedProcess> start_child(std::vector<std::string> argv, const std::filesystem::path& out,
                                                   const std::filesystem::path& err,
                                                   std::map<std::string, std::string> env = {}) {
    SpawnOptions options;
    options.out = out;
    options.err = err;
    options.append = true;
    options.env = std::move(env);
    return std::make_unique<SpawnedProcess>(std::move(argv), std::move(options));
}

}  // namespace sigrun::testing
