import Foundation
import ITOpsCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A command's exit code: 0 OPERATIONAL, a listed code DEGRADED, anything else (or the timeout) DOWN.
enum CommandProbe {
    static func run(_ arguments: [String], degradedExitCodes: [Int32], timeout: Duration) async -> CheckOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32? = await withCheckedContinuation { continuation in
            let resumed = Mutex(false)
            let finish: @Sendable (Int32?) -> Void = { value in
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
            }
            process.terminationHandler = { finish($0.terminationReason == .exit ? $0.terminationStatus : 128 + $0.terminationStatus) }
            do {
                try process.runSerially()
            } catch {
                finish(nil)
                return
            }
            let pid = process.processIdentifier
            Task {
                try? await Task.sleep(for: timeout)
                if resumed.withLock({ !$0 }) {
                    kill(pid, SIGKILL)
                    finish(-1)
                }
            }
        }
        switch status {
        case nil: return .status(.down, "cannot start \(arguments[0])")
        case -1: return .status(.down, "\(arguments[0]) did not finish within \(timeout)")
        case 0: return .status(.operational, "exit 0")
        case let code? where degradedExitCodes.contains(code): return .status(.degraded, "exit \(code)")
        case let code?: return .status(.down, "exit \(code)")
        }
    }
}

/// The expiry of a server's TLS certificate (the chain is not judged: this check watches the date).
enum TLSProbe {
    static func check(
        host: String, port: Int, serverName: String?, warnBefore: Duration, timeout: Duration, group: any EventLoopGroup
    ) async -> CheckOutput {
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            let expiry = Mutex<time_t?>(nil)
            let name = serverName ?? host
            let sni = name.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : name
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(
                            context: context, serverHostname: sni,
                            customVerificationCallback: { certificates, promise in
                                expiry.withLock { $0 = certificates.first?.notValidAfter }
                                promise.succeed(.certificateVerified)
                            })
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port).get()
            // The verification callback runs during the handshake; wait for it, bounded by the timeout.
            let deadline = ContinuousClock.now + timeout
            while expiry.withLock({ $0 }) == nil, ContinuousClock.now < deadline, channel.isActive {
                try await Task.sleep(for: .milliseconds(10))
            }
            try? await channel.close()
            guard let notAfter = expiry.withLock({ $0 }) else {
                return .status(.down, "\(host):\(port): no certificate within \(timeout)")
            }
            let expires = Date(timeIntervalSince1970: TimeInterval(notAfter))
            let left = expires.timeIntervalSinceNow
            let days = Int((left / 86400).rounded(.down))
            let when = Reports.timestamp(expires)
            if left <= 0 { return .status(.down, "certificate of \(name) expired at \(when)") }
            if left <= warnBefore.seconds { return .status(.degraded, "certificate of \(name) expires in \(days) days (\(when))") }
            return .status(.operational, "certificate of \(name) valid for \(days) days (until \(when))")
        } catch {
            return .status(.down, "\(host):\(port): \(CheckRunner.describe(error))")
        }
    }
}
