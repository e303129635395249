// fuzz_runner_config: any JSON document given to the runner's config parser
// must come back as a RunnerConfig or a ConfigError (one line naming the
// JSON path); no other exception, no crash.
//
// Input: the config file's bytes. Relative paths in it resolve against a
// scratch folder that holds two files, "md.csv.gz" and "libengine.so", so
// that seeds naming them get past the existence checks to the rest of the
// parser.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    sigrun::fuzz::quiet_logging();
    for (const char* name : {"md.csv.gz", "libengine.so"}) {
        std::ofstream(sigrun::fuzz::scratch_dir() / name) << "x";
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto document = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) return 0;
    try {
        const auto config = sigrun::runner::parse_config(document, sigrun::fuzz::scratch_dir(), "fuzz.json");
        // What the runner does next with a parsed config must be safe too.
        (void)config.journal.md.file_size();
        (void)config.journal.signals.max_payload();
    } catch (const sigrun::runner::ConfigError&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parse_config let a non-ConfigError escape: %s\n", e.what());
        std::abort();
    }
    return 0;
}
