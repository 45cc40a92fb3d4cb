import AsyncHTTPClient
import Foundation
import NIOCore

/// The client of the agent REST API: posts a JSON body and says what became of it.
public struct ITOpsClient: Sendable {
    /// What the server did with a request.
    public enum Outcome: Sendable, Equatable {
        /// 2xx.
        case accepted
        /// A 4xx other than 408/429: the report itself is wrong; sending it again would not help.
        case rejected(status: Int, error: String)
        /// Unreachable, timed out, 408, 429 or 5xx: keep it and try again later.
        case unavailable(String)
    }

    let http: HTTPClient
    let baseURL: String
    let apiKey: String
    let timeout: Duration

    /// A client of `server` over `http`.
    public init(http: HTTPClient, server: AgentConfig.Server) {
        self.http = http
        self.baseURL = server.url
        self.apiKey = server.apiKey
        self.timeout = server.timeout
    }

    /// POSTs `body` to `/api/v1/<path>`.
    public func post(_ path: String, body: Data) async -> Outcome {
        var request = HTTPClientRequest(url: "\(baseURL)/api/v1/\(path)")
        request.method = .POST
        request.headers.add(name: "X-API-Key", value: apiKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "itops-agent/\(AgentVersion.current)")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            let text = try await response.body.collect(upTo: 1 << 20)
            let code = Int(response.status.code)
            switch code {
            case 200..<300:
                return .accepted
            case 408, 429, 500...:
                return .unavailable("HTTP \(code)")
            default:
                let message =
                    (try? JSONSerialization.jsonObject(with: Data(buffer: text)) as? [String: Any])?["error"] as? String
                return .rejected(status: code, error: message ?? String(buffer: text).prefix(300).description)
            }
        } catch {
            return .unavailable(String(describing: error))
        }
    }
}

/// The agent's version (reported in syncs and heartbeats, and by `--version`).
public enum AgentVersion {
    /// The version string.
    public static let current = "1.0.0"
}

extension Duration {
    /// The whole duration in nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds.
    var seconds: Double { Double(nanoseconds) / 1e9 }
}
