#include "sigrun/market_data/replay_source.hpp"

#include <stdexcept>
#include <utility>

namespace sigrun::market_data {
namespace {

std::vector<FileSpec> specs_from_paths(const std::vector<std::filesystem::path>& paths) {
    std::vector<FileSpec> specs;
    specs.reserve(paths.size());
    for (const auto& p : paths) specs.push_back(FileSpec{p, std::nullopt, {}, {}});
    return specs;
}

// Strict "a goes before b" for two buffered rows from files ia < ib is
// decided by time, then depth-before-trade; file order breaks the rest
// because the scan keeps the first minimum it sees.
bool goes_before(const Event& a, const Event& b) {
    if (a.receive_time_ns() != b.receive_time_ns()) return a.receive_time_ns() < b.receive_time_ns();
    return a.is_depth() && b.is_trade();
}

}  // namespace

ReplaySource::ReplaySource(std::vector<FileSpec> files, Pacer pacer) : pacer_(std::move(pacer)) {
    if (files.empty()) {
        throw std::invalid_argument("ReplaySource needs at least one file to replay");
    }
    inputs_.reserve(files.size());
    for (auto& spec : files) {
        CsvReader reader(std::move(spec));
        auto first = reader.next();
        inputs_.push_back(Input{std::move(reader), std::move(first)});
    }
}

ReplaySource::ReplaySource(const std::vector<std::filesystem::path>& files, Pacer pacer)
    : ReplaySource(specs_from_paths(files), std::move(pacer)) {}

std::optional<Event> ReplaySource::next() {
    std::optional<Event> out = take();
    if (!out) return out;
    pacer_.wait_for(out->receive_time_ns());
    ++events_read_;
    return out;
}

std::uint64_t ReplaySource::skip(std::uint64_t count) {
    std::uint64_t skipped = 0;
    while (skipped < count && take()) ++skipped;
    events_read_ += skipped;
    return skipped;
}

std::optional<Event> ReplaySource::take() {
    // Refill the file the previous event came from only now, so a bad row
    // throws on this call instead of losing the event already read.
    if (refill_ < inputs_.size()) {
        Input& in = inputs_[refill_];
        refill_ = kNone;
        in.pending = in.reader.next();
    }
    std::size_t best = kNone;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        const auto& pending = inputs_[i].pending;
        if (pending && (best == kNone || goes_before(*pending, *inputs_[best].pending))) best = i;
    }
    if (best == kNone) return std::nullopt;

    std::optional<Event> out = std::move(inputs_[best].pending);
    inputs_[best].pending.reset();
    refill_ = best;
    return out;
}

std::vector<FileSpec> ReplaySource::files() const {
    std::vector<FileSpec> specs;
    specs.reserve(inputs_.size());
    for (const auto& in : inputs_) specs.push_back(in.reader.spec());
    return specs;
}

}  // namespace sigrun::market_data
