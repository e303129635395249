// runner/src/instrument_filter.hpp — an engine's "instruments" list from the
// runner config, applied before the engine is called.
//
// It costs nothing for an engine without one: the filter is not a check in
// the dispatch loop but a shim put in place of the engine's signal_on_data
// (EngineInstance calls whatever function and handle it holds, one indirect
// call either way). The shim compares the message's instrument field (the
// first SIGRUN_INSTRUMENT_LEN bytes of every md message) with the listed
// names and calls the engine only on a match.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "sigrun/messages.h"
#include "sigrun/signal_api.h"

namespace sigrun::runner {

class InstrumentFilter {
public:
    using Field = std::array<char, SIGRUN_INSTRUMENT_LEN>;

    // `instruments`: 1 to SIGRUN_INSTRUMENT_LEN characters each (the config
    // parser checks). `engine_fn` / `engine_handle`: the real entry point.
    InstrumentFilter(const std::vector<std::string>& instruments, sigrun_on_data_fn engine_fn, void* engine_handle)
        : engine_fn_(engine_fn), engine_handle_(engine_handle) {
        for (const std::string& name : instruments) {
            Field field{};
            std::memcpy(field.data(), name.data(), std::min(name.size(), field.size()));
            fields_.push_back(field);
        }
    }

    // The shim: signal_on_data's signature, `handle` is the filter.
    static void on_data(void* handle, int type, const void* data) {
        const auto* self = static_cast<const InstrumentFilter*>(handle);
        // Every md message starts with its NUL-padded instrument field.
        for (const Field& field : self->fields_) {
            if (std::memcmp(data, field.data(), field.size()) == 0) {
                self->engine_fn_(self->engine_handle_, type, data);
                return;
            }
        }
    }

private:
    sigrun_on_data_fn engine_fn_;
    void* engine_handle_;
    std::vector<Field> fields_;
};

static_assert(offsetof(sigrun_depth, instrument) == 0 && offsetof(sigrun_trade, instrument) == 0,
              "InstrumentFilter reads the instrument at the start of every md message");

}  // namespace sigrun::runner
