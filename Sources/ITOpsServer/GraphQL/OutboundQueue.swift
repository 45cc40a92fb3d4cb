import Foundation
import Synchronization

/// The bounded queue between a WebSocket's producers (operations, protocol replies) and its one
/// writer. Producers never wait: when `capacity` messages are already waiting, `send` reports an
/// overflow and the connection is closed as a slow consumer, so a client that stops reading
/// never holds up the event bus or any other client.
final class OutboundQueue: Sendable {
    enum Item: Sendable, Equatable {
        case text(String)
        case close(code: UInt16, reason: String)
    }

    enum SendResult: Equatable {
        case queued
        case overflow
        case closed
    }

    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<Item?, Never>?
        var closed = false
        var finished = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Queues a text message, unless the queue is full or closed.
    func send(_ text: String) -> SendResult {
        state.withLock { state in
            guard !state.closed, !state.finished else { return .closed }
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: .text(text))
                return .queued
            }
            guard state.items.count < capacity else { return .overflow }
            state.items.append(.text(text))
            return .queued
        }
    }

    /// Drops whatever waits and queues a close frame as the last message; `false` when the
    /// queue was already closing.
    @discardableResult
    func close(code: UInt16, reason: String) -> Bool {
        state.withLock { state in
            guard !state.closed, !state.finished else { return false }
            state.closed = true
            let item = Item.close(code: code, reason: reason)
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: item)
            } else {
                state.items = [item]
            }
            return true
        }
    }

    /// The peer is gone: drop waiting messages (a queued close frame stays) and end the writer.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.items.removeAll { if case .text = $0 { true } else { false } }
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: nil)
            }
        }
    }

    /// The next message for the writer; `nil` once finished or after the close frame.
    func next() async -> Item? {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if !state.items.isEmpty {
                    continuation.resume(returning: state.items.removeFirst())
                } else if state.finished || state.closed {
                    continuation.resume(returning: nil)
                } else {
                    state.waiter = continuation
                }
            }
        }
    }
}
