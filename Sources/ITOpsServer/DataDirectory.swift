import Foundation
import ITOpsCore
import Logging

/// The data directory holds password hashes, webhook secrets and the generated JWT secret: it is
/// created private (0700, files 0600), and an existing one that others can read is reported at
/// start-up (ITOps does not change the mode of what an operator created).
enum DataDirectory {
    /// Creates the data directory and the SQLite file's directory (0700) and the database file
    /// (0600) when missing; returns a warning for each existing one that group or others can use.
    @discardableResult
    static func secure(config: Config, logger: Logger) throws -> [String] {
        // The data directory is used for the generated JWT secret and the default SQLite file.
        var directories = config.jwtSecret == nil ? [config.dataDirectory] : []
        var files: [String] = []
        if case .sqlite(let path, _, _) = config.storeLocation {
            directories.append(URL(fileURLWithPath: path).deletingLastPathComponent().path)
            files = [path, path + "-wal", path + "-shm"]
        }
        var warnings: [String] = []
        let manager = FileManager.default
        for directory in Set(directories) {
            if manager.fileExists(atPath: directory) {
                if let mode = mode(of: directory), mode & 0o077 != 0 {
                    warnings.append(
                        "the data directory \(directory) has mode \(octal(mode)): others can read the database and secrets; run chmod 700 \(directory)"
                    )
                }
            } else {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        }
        for (index, file) in files.enumerated() {
            if manager.fileExists(atPath: file) {
                if let mode = mode(of: file), mode & 0o077 != 0 {
                    warnings.append(
                        "the database file \(file) has mode \(octal(mode)): others can read password hashes and webhook secrets; run chmod 600 \(file)"
                    )
                }
            } else if index == 0 {
                // Created empty and private before SQLite opens it: its -wal and -shm files copy this mode.
                let descriptor = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
                if descriptor >= 0 { close(descriptor) }
            }
        }
        for warning in warnings { logger.warning("\(warning)") }
        return warnings
    }

    static func mode(of path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    static func octal(_ mode: Int) -> String { "0" + String(mode & 0o777, radix: 8) }
}
