// instrument_map.hpp — an engine's per-instrument state, keyed by the
// instrument name of the messages.
//
// Searched with a string_view (the message's field_text), so handling a
// message of an instrument already seen allocates nothing; the first message
// of a new instrument allocates its entry, once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sigrun::plugins {

template <class State>
class InstrumentMap {
public:
    // The state of `instrument`, constructed from `args` when it is new.
    template <class... Args>
    State& find_or_add(std::string_view instrument, Args&&... args) {
        if (auto it = states_.find(instrument); it != states_.end()) {
            return it->second;
        }
        return states_.try_emplace(std::string(instrument), std::forward<Args>(args)...)
            .first->second;
    }

    std::size_t size() const noexcept { return states_.size(); }

    // Calls f(name, state) for every instrument, in no particular order.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [name, state] : states_) f(std::string_view(name), state);
    }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::unordered_map<std::string, State, Hash, std::equal_to<>> states_;
};

}  // namespace sigrun::plugins
