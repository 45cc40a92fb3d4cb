import Foundation
import NIOCore
import Synchronization

/// Caps the connections one client address may hold open at once (`ITOPS_MAX_CONNECTIONS_PER_ADDRESS`),
/// so that one host cannot exhaust the server's sockets with idle or half-open connections.
/// Trusted proxies are exempt: every client behind them shares their address.
public final class ConnectionLimiter: Sendable {
    private let limit: Int
    private let proxies: TrustedProxies
    private let open = Mutex([String: Int]())
    private let refusedCount = Mutex(0)

    /// `limit` 0 turns the cap off.
    public init(limit: Int, proxies: TrustedProxies) {
        self.limit = limit
        self.proxies = proxies
    }

    /// Counts a new connection against its address until it closes; `false` (and nothing
    /// counted) when the address already holds `limit` connections.
    func admit(_ channel: any Channel) -> Bool {
        guard let address = channel.remoteAddress?.ipAddress else { return true }
        switch admit(address) {
        case .exempt: return true
        case .refused: return false
        case .counted:
            channel.closeFuture.whenComplete { _ in self.release(address) }
            return true
        }
    }

    /// Connections refused so far (tests, metrics).
    public var refused: Int { refusedCount.withLock { $0 } }

    /// Connections open from `address` now.
    public func openConnections(from address: String) -> Int { open.withLock { $0[address] ?? 0 } }

    fileprivate enum Admission { case exempt, counted, refused }

    fileprivate func admit(_ address: String) -> Admission {
        guard limit > 0, !proxies.trusts(address) else { return .exempt }
        let admitted = open.withLock { open -> Bool in
            let count = open[address] ?? 0
            guard count < limit else { return false }
            open[address] = count + 1
            return true
        }
        if !admitted { refusedCount.withLock { $0 += 1 } }
        return admitted ? .counted : .refused
    }

    fileprivate func release(_ address: String) {
        open.withLock { open in
            guard let count = open[address] else { return }
            if count <= 1 { open.removeValue(forKey: address) } else { open[address] = count - 1 }
        }
    }
}

