import Crypto
import Foundation

/// One file of the operations console, embedded in the binary.
public struct ConsoleAsset: Sendable {
    /// The path under `Console/`, e.g. `app.js`.
    public let path: String
    /// `Content-Type`, from the file's extension.
    public let contentType: String
    /// The file as shipped.
    public let body: [UInt8]
    /// The same bytes gzip-compressed by `scripts/embed-console.py` (no run-time compression).
    public let gzipped: [UInt8]
    /// A strong validator: the first 32 hex digits of the SHA-256 of `body`, quoted.
    public let etag: String
}

/// The console's files (`Console/` in the repository), generated into
/// `ConsoleAssets+Generated.swift` by `scripts/embed-console.py` so that a clean clone builds and
/// serves them without a build step and an installed binary needs no files next to it.
public enum ConsoleAssets {
    /// Every asset by path, decoded once.
    public static let all: [String: ConsoleAsset] = {
        var assets: [String: ConsoleAsset] = [:]
        for file in embedded {
            let body = Array(file.text.utf8)
            let digest = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
            assets[file.path] = ConsoleAsset(
                path: file.path, contentType: contentType(of: file.path), body: body,
                gzipped: Array(Data(base64Encoded: file.gzipBase64) ?? Data()),
                etag: "\"" + digest.prefix(32) + "\"")
        }
        return assets
    }()

    /// The asset at `path`, `nil` for anything not shipped (no path walking: a lookup by name).
    public static func asset(_ path: String) -> ConsoleAsset? { all[path] }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json; charset=utf-8"
        case "txt", "md": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    /// A file as the generator writes it.
    struct EmbeddedFile {
        let path: String
        let text: String
        let gzipBase64: String
    }
}
