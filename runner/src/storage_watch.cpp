#include "storage_watch.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace sigrun::runner {
namespace {

constexpr auto kTick = std::chrono::milliseconds(10);
constexpr int kTicksPerCheck = 50;  // files and writers every 500 ms

}  // namespace

StorageWatch::StorageWatch(const std::atomic<bool>& stop, std::vector<Journal> journals)
    : stop_(stop), journals_(std::move(journals)), reported_(journals_.size(), journal::WriterState::alive) {
    check_files();
    check_writers();
    thread_ = std::thread([this] { run(); });
}

StorageWatch::~StorageWatch() {
    {
        const std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

std::string StorageWatch::error() const {
    const std::lock_guard lock(mutex_);
    return error_;
}

void StorageWatch::run() {
    std::unique_lock lock(mutex_);
    for (int tick = 1;; ++tick) {
        if (wake_.wait_for(lock, kTick, [this] { return quit_; })) return;
        if (stop_.load(std::memory_order_relaxed)) halt_.store(true, std::memory_order_release);
        if (failed_.load(std::memory_order_relaxed)) continue;
        bool shrunk = false;
        for (const auto& j : journals_) shrunk = shrunk || j.mapping->shrunk();
        if (!shrunk && tick % kTicksPerCheck != 0) continue;
        lock.unlock();
        if (check_files()) check_writers();
        lock.lock();
    }
}

// True while every file is fine.
bool StorageWatch::check_files() {
    for (const auto& j : journals_) {
        std::string problem = j.mapping->file_problem();
        if (problem.empty()) continue;
        {
            const std::lock_guard lock(mutex_);
            error_ = std::move(problem);
        }
        failed_.store(true, std::memory_order_release);
        halt_.store(true, std::memory_order_release);
        return false;
    }
    return true;
}

void StorageWatch::check_writers() {
    for (std::size_t i = 0; i < journals_.size(); ++i) {
        if (!journals_[i].watch_writer) continue;
        const auto& mapping = *journals_[i].mapping;
        const journal::WriterLiveness now = journal::writer_liveness(mapping);
        if (now.state == reported_[i]) continue;
        if (now.state == journal::WriterState::alive) {
            spdlog::info("{}", now.describe(mapping.path()));
        } else {
            spdlog::warn("{}", now.describe(mapping.path()));
        }
        reported_[i] = now.state;
    }
}

}  // namespace sigrun::runner
