// sigrun/handoff.hpp — how an engine keeps a message past signal_on_data.
//
// Engines receive every message BORROWED (`const Depth&`): the runner keeps
// the journal frame intact for the whole call, so not keeping costs nothing
// — no allocation, no atomic. An engine that needs the message after the
// call returns (queued, handed to another thread) calls
// sigrun::Engine::keep(message) and gets a sigrun::Kept<Message>, a move-only
// owner. How keeping works is chosen when the plugin is built (CMake
// ENABLE_ZERO_COPY, which sets SIGRUN_ZERO_COPY=0/1 on sigrun::sdk):
//
//   copy       keep() copies the message into a block of a per-engine pool
//              (allocation-free once the pool has grown to the number of
//              messages kept at once); the journal never waits for it.
//   frame_ref  keep() retains the journal frame itself through
//              host->frame_retain (one store to the frame's pin count
//              in the journal, no locked instruction on the dispatch
//              thread; a drop on another thread is one atomic
//              increment); the writer will not
//              overwrite the frame until the Kept is dropped, on whatever
//              thread that happens. A runner that cannot retain (copy build,
//              journal owned by another process) makes keep() fall back to a
//              pooled copy, logged once.
//
// Both modes are class templates here, so a test can exercise either in any
// build.
#ifndef SIGRUN_HANDOFF_HPP
#define SIGRUN_HANDOFF_HPP

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "sigrun/host.hpp"
#include "sigrun/messages.h"
#include "sigrun/signal_api.h"

#ifndef SIGRUN_ZERO_COPY
// Built without sigrun::sdk's definitions: copy mode runs on every runner.
#define SIGRUN_ZERO_COPY 0
#endif

namespace sigrun {

enum class HandoffMode : std::uint32_t {
    copy = SIGRUN_HANDOFF_COPY,
    frame_ref = SIGRUN_HANDOFF_FRAME_REF,
};

// The mode this translation unit was built with; what signal_plugin_info
// reports in `handoff`.
inline constexpr HandoffMode build_handoff_mode = SIGRUN_ZERO_COPY ? HandoffMode::frame_ref : HandoffMode::copy;

// A message kept past the call that delivered it. Move-only: exactly one
// owner, one release. Dropping it (destructor or reset()) gives the frame
// back to the journal or the block back to the pool; that may happen on any
// thread, but before the engine's destructor returns (engine.hpp).
// Kept<void> holds any message type (from Kept<Depth>::erase()).
template <class Message>
class Kept {
    static_assert(std::is_void_v<Message> ||
                      (std::is_trivially_copyable_v<Message> && std::is_standard_layout_v<Message>),
                  "Kept is for the C message structs of messages.h");

public:
    // Gives `message` back through `release(owner, message)` when dropped.
    // The signature of sigrun_host_api::frame_release, so that a kept frame
    // calls the host directly (no trampoline on every drop); it must not
    // throw (reset() is noexcept).
    using ReleaseFn = void (*)(void* owner, const void* message);

    Kept() noexcept = default;
    Kept(const Message* message, void* owner, ReleaseFn release) noexcept
        : message_(message), owner_(owner), release_(release) {}
    ~Kept() { reset(); }
    Kept(Kept&& other) noexcept
        : message_(std::exchange(other.message_, nullptr)), owner_(other.owner_), release_(other.release_) {}
    Kept& operator=(Kept&& other) noexcept {
        if (this != &other) {
            reset();
            message_ = std::exchange(other.message_, nullptr);
            owner_ = other.owner_;
            release_ = other.release_;
        }
        return *this;
    }
    Kept(const Kept&) = delete;
    Kept& operator=(const Kept&) = delete;

    [[nodiscard]] const Message* get() const noexcept { return message_; }
    explicit operator bool() const noexcept { return message_ != nullptr; }
    template <class M = Message>
        requires(!std::is_void_v<M>)
    const M& operator*() const noexcept {
        return *message_;
    }
    template <class M = Message>
        requires(!std::is_void_v<M>)
    const M* operator->() const noexcept {
        return message_;
    }

    // Gives the message back now; the Kept is empty afterwards.
    void reset() noexcept {
        if (message_ != nullptr) release_(owner_, std::exchange(message_, nullptr));
    }

    // The same ownership, type-erased (for a queue of mixed messages).
    Kept<void> erase() && noexcept {
        return Kept<void>(std::exchange(message_, nullptr), owner_, release_);
    }

    // The same ownership as a std::shared_ptr, for code that wants shared
    // copies. Allocates a control block (the only cost of this convenience;
    // nothing is paid when it is not used). Throws std::bad_alloc, in which
    // case the message has already been given back.
    template <class M = Message>
        requires(!std::is_void_v<M>)
    std::shared_ptr<const M> share() && {
        const M* message = std::exchange(message_, nullptr);
        if (message == nullptr) return {};
        return std::shared_ptr<const M>(message, [owner = owner_, release = release_](const M* m) noexcept {
            release(owner, m);
        });
    }

private:
    const Message* message_ = nullptr;
    void* owner_ = nullptr;
    ReleaseFn release_ = nullptr;
};

namespace detail {

// Fixed-size blocks for kept copies. Taken on the dispatch thread only,
// given back from any thread. Given-back blocks go onto a lock-free stack
// (one CAS each); the dispatch thread takes the whole stack at once with one
// exchange when its private free list runs dry, so no block is ever popped
// concurrently and the ABA problem of a Treiber stack cannot arise.
class CopyPool {
public:
    // Room for the largest market-data message.
    static constexpr std::size_t kBlockBytes = std::max(sizeof(sigrun_depth), sizeof(sigrun_trade));

    CopyPool() = default;
    CopyPool(const CopyPool&) = delete;
    CopyPool& operator=(const CopyPool&) = delete;

    // A block for `size` <= kBlockBytes bytes. Grows by a chunk when empty:
    // allocation happens only until the pool holds as many blocks as the
    // engine keeps at once. Throws std::bad_alloc. [dispatch-thread]
    void* take() {
        if (free_ == nullptr) free_ = returned_.exchange(nullptr, std::memory_order_acquire);
        if (free_ == nullptr) grow();
        Block* block = free_;
        free_ = block->next;
        return block->bytes;
    }

    // [thread-safe]
    void give_back(const void* bytes) noexcept {
        Block* block = block_of(bytes);
        Block* head = returned_.load(std::memory_order_relaxed);
        do {
            block->next = head;
            // Release: our last reads of the copy happen before the dispatch
            // thread reuses the block (it acquires in take()).
        } while (!returned_.compare_exchange_weak(head, block, std::memory_order_release,
                                                  std::memory_order_relaxed));
    }

    static void give_back_to(void* pool, const void* bytes) noexcept {
        static_cast<CopyPool*>(pool)->give_back(bytes);
    }

    // Blocks the pool owns (given out or free). For tests.
    [[nodiscard]] std::size_t capacity() const noexcept { return chunks_.size() * kChunkBlocks; }

private:
    struct Block {
        alignas(64) std::byte bytes[kBlockBytes];
        Block* next = nullptr;
    };
    static constexpr std::size_t kChunkBlocks = 64;

    static Block* block_of(const void* bytes) noexcept {
        // `bytes` is the first member of its Block.
        return reinterpret_cast<Block*>(const_cast<void*>(bytes));
    }

    void grow() {
        chunks_.reserve(chunks_.size() + 1);  // may throw before anything changes
        auto chunk = std::make_unique<Block[]>(kChunkBlocks);
        for (std::size_t i = 0; i < kChunkBlocks; ++i) chunk[i].next = i + 1 < kChunkBlocks ? &chunk[i + 1] : nullptr;
        free_ = &chunk[0];
        chunks_.push_back(std::move(chunk));
    }

    Block* free_ = nullptr;                     // dispatch thread only
    std::atomic<Block*> returned_{nullptr};     // pushed by any thread
    std::vector<std::unique_ptr<Block[]>> chunks_;
};

}  // namespace detail

// How one engine instance keeps messages. One per engine, keep() only on the
// dispatch thread inside the call that delivered the message.
template <HandoffMode Mode>
class Handoff {
public:
    // Whether the host can retain frames is read once here: the host's
    // table does not change while the engine lives.
    explicit Handoff(Host host) noexcept : host_(host), can_retain_(host.can_retain_frames()) {}

    static constexpr HandoffMode mode = Mode;

    // Keeps `message`, which must be the message of the current
    // signal_on_data call. Throws std::bad_alloc only (a growing pool).
    template <class Message>
    Kept<Message> keep(const Message& message) {
        if constexpr (Mode == HandoffMode::frame_ref) {
            if (can_retain_) [[likely]] {
                const sigrun_host_api* api = host_.api();
                if (api->frame_retain(api->host_ctx, &message) == 0) [[likely]] {
                    return Kept<Message>(&message, api->host_ctx, api->frame_release);
                }
            }
            note_copy_fallback();
        }
        static_assert(sizeof(Message) <= detail::CopyPool::kBlockBytes);
        void* block = pool_.take();
        std::memcpy(block, &message, sizeof(Message));
        return Kept<Message>(static_cast<const Message*>(block), &pool_, &detail::CopyPool::give_back_to);
    }

    // How many frame_ref keeps became copies because the host refused the
    // retain. Always 0 in copy mode.
    [[nodiscard]] std::uint64_t copy_fallbacks() const noexcept { return copy_fallbacks_; }
    [[nodiscard]] const detail::CopyPool& pool() const noexcept { return pool_; }

private:
    void note_copy_fallback() noexcept {
        if (copy_fallbacks_++ == 0) {
            host_.log(SIGRUN_LOG_WARN,
                      "sigrun SDK: the host refused frame_retain, so this frame-ref engine keeps copies "
                      "instead (logged once; is the runner built with ENABLE_ZERO_COPY=ON, and does it "
                      "own the md journal?)");
        }
    }

    Host host_;
    bool can_retain_;
    std::uint64_t copy_fallbacks_ = 0;
    detail::CopyPool pool_;
};

}  // namespace sigrun

#endif  // SIGRUN_HANDOFF_HPP
