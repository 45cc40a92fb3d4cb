// Fan-out benchmark of GraphQL subscriptions: N subscribers on /graphql/ws, status changes pushed
// through REST, delivery rate and publish-to-receive latency. Run by Benchmarks/graphql-ws-fanout.sh.
//
//   itops-ws-bench --url http://127.0.0.1:8080 --token <jwt> --api-key <key> \
//                  [--subscribers 1000] [--events 100] [--interval-ms 50]
import Dispatch
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct Options {
    var url = "http://127.0.0.1:8080"
    var token = ""
    var apiKey = ""
    var subscribers = 1000
    var events = 100
    var intervalMilliseconds = 50

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--url": url = value
            case "--token": token = value
            case "--api-key": apiKey = value
            case "--subscribers": subscribers = Int(value) ?? subscribers
            case "--events": events = Int(value) ?? events
            case "--interval-ms": intervalMilliseconds = Int(value) ?? intervalMilliseconds
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

/// Latencies and counts from every subscriber.
final class Collector: Sendable {
    private struct State {
        var latencies: [UInt64] = []
        var ready = 0
        var lastReceive: UInt64 = 0
        var errors: [String] = []
    }
    private let state = Mutex(State())

    func ready() { state.withLock { $0.ready += 1 } }
    var readyCount: Int { state.withLock { $0.ready } }
    func received(latency: UInt64, at now: UInt64) {
        state.withLock {
            $0.latencies.append(latency)
            $0.lastReceive = max($0.lastReceive, now)
        }
    }
    func error(_ text: String) { state.withLock { $0.errors.append(text) } }
    var snapshot: (latencies: [UInt64], lastReceive: UInt64, errors: [String]) {
        state.withLock { ($0.latencies, $0.lastReceive, $0.errors) }
    }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func subscriber(_ options: Options, _ collector: Collector) async {
    let wsURL = options.url.replacingOccurrences(of: "http://", with: "ws://") + "/graphql/ws"
    var headers = HTTPFields()
    headers[.secWebSocketProtocol] = "graphql-transport-ws"
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    do {
        try await WebSocketClient.connect(
            url: wsURL, configuration: .init(additionalHeaders: headers, autoPing: .disabled), logger: logger
        ) { inbound, outbound, _ in
            try await outbound.write(
                .text(#"{"type":"connection_init","payload":{"Authorization":"Bearer \#(options.token)"}}"#))
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            guard case .text(let ack) = try await messages.next(), ack.contains("connection_ack") else {
                collector.error("no connection_ack")
                return
            }
            try await outbound.write(
                .text(
                    #"{"type":"subscribe","id":"1","payload":{"query":"subscription { serviceStatusChanged(nodeId: \"bench/ws\") { message } }"}}"#
                ))
            collector.ready()
            var seen = 0
            while seen < options.events, let message = try await messages.next() {
                guard case .text(let text) = message, let range = text.range(of: "sent:") else { continue }
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                guard let sent = UInt64(digits) else { continue }
                let received = now()
                collector.received(latency: received - sent, at: received)
                seen += 1
            }
        }
    } catch {
        collector.error("\(error)")
    }
}

func push(_ options: Options, status: String, message: String) async throws {
    var request = URLRequest(url: URL(string: options.url + "/api/v1/health/report")!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue(options.apiKey, forHTTPHeaderField: "X-API-Key")
    request.httpBody = Data(
        #"{"service":"bench-svc","nodeId":"bench/ws","status":"\#(status)","message":"\#(message)"}"#.utf8)
    let (_, response) = try await URLSession.shared.data(for: request)
    guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw URLError(.badServerResponse) }
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000_000
}

func benchmark(_ options: Options) async throws {
    let collector = Collector()
    try await push(options, status: "OPERATIONAL", message: "setup")
    let connectStart = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<options.subscribers {
            group.addTask { await subscriber(options, collector) }
            if index % 100 == 99 { try await Task.sleep(for: .milliseconds(50)) }
        }
        var waited = 0
        while collector.readyCount < options.subscribers, waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let connectSeconds = Double(now() - connectStart) / 1e9
        print(
            "subscribers ready: \(collector.readyCount)/\(options.subscribers) in \(String(format: "%.2f", connectSeconds)) s"
        )
        try await Task.sleep(for: .seconds(1))  // the last subscribes reach the bus
        let publishStart = now()
        for index in 0..<options.events {
            try await push(options, status: index % 2 == 0 ? "DOWN" : "OPERATIONAL", message: "sent:\(now())")
            try await Task.sleep(for: .milliseconds(options.intervalMilliseconds))
        }
        let expected = options.events * options.subscribers
        for _ in 0..<200 where collector.snapshot.latencies.count < expected {
            try await Task.sleep(for: .milliseconds(50))
        }
        let (latencies, lastReceive, errors) = collector.snapshot
        let sorted = latencies.sorted()
        let seconds = Double(max(lastReceive, publishStart) - publishStart) / 1e9
        print("events published: \(options.events) (one every \(options.intervalMilliseconds) ms)")
        print(
            "deliveries: \(latencies.count)/\(expected) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", Double(latencies.count) / max(seconds, 0.001))) deliveries/s"
        )
        print(
            "publish-to-receive latency: p50 \(String(format: "%.2f", percentile(sorted, 0.5))) ms, p99 \(String(format: "%.2f", percentile(sorted, 0.99))) ms, max \(String(format: "%.2f", percentile(sorted, 1.0))) ms"
        )
        if !errors.isEmpty { print("errors: \(errors.count), first: \(errors[0])") }
        group.cancelAll()
    }
}

try await benchmark(Options(CommandLine.arguments))
