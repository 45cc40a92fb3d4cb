import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's randomness, read 4 KiB at a time from `/dev/urandom` and handed out in pieces.
///
/// Foundation's `UUID.random()` on Linux opens, reads and closes `/dev/urandom` for every id, and
/// `SystemRandomNumberGenerator` makes one `getrandom(2)` call per eight bytes: a status flip
/// made four to eleven such calls (its request id, its transition's id), 3 % of the server's CPU
/// in a profile of the flip row (`Benchmarks/ingest.sh`, BENCHMARKS.md "Performance, round two").
/// Here one `read(2)` serves 256 UUIDs. The bytes are the kernel's CSPRNG output either way, and each
/// is handed out once.
public enum RandomBytes {
    private struct Pool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var offset = 4096
        /// `/dev/urandom`, opened once; -1 when it cannot be (the system generator then serves).
        var descriptor: Int32 = -2
    }

    private static let pool = Mutex(Pool())

    /// Fills `target` with random bytes.
    public static func fill(_ target: UnsafeMutableRawBufferPointer) {
        guard !target.isEmpty else { return }
        pool.withLock { pool in
            var written = 0
            while written < target.count {
                if pool.offset == pool.buffer.count, !refill(&pool) {
                    // No device: the standard library's generator (getrandom(2)) for the rest.
                    var generator = SystemRandomNumberGenerator()
                    for index in written..<target.count { target[index] = generator.next() }
                    return
                }
                let count = min(target.count - written, pool.buffer.count - pool.offset)
                pool.buffer.withUnsafeBytes { source in
                    target.baseAddress!.advanced(by: written).copyMemory(
                        from: source.baseAddress!.advanced(by: pool.offset), byteCount: count)
                }
                pool.offset += count
                written += count
            }
        }
    }

    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fill($0) }
        return bytes
    }

    private static func refill(_ pool: inout Pool) -> Bool {
        if pool.descriptor == -2 { pool.descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
        guard pool.descriptor >= 0 else { return false }
        var filled = 0
        let size = pool.buffer.count
        let descriptor = pool.descriptor
        while filled < size {
            let read = pool.buffer.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress!.advanced(by: filled), size - filled)
            }
            if read > 0 {
                filled += read
            } else if read < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        pool.offset = 0
        return true
    }
}

extension UUID {
    /// A random (version 4, RFC 9562) id from `RandomBytes`: what `UUID.random()` makes, without three
    /// system calls per id.
    public static func random() -> UUID {
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { bytes in
            RandomBytes.fill(bytes)
            bytes[6] = bytes[6] & 0x0F | 0x40
            bytes[8] = bytes[8] & 0x3F | 0x80
        }
        return UUID(uuid: uuid)
    }

    /// The stored form: lower-case `8-4-4-4-12` hex, written directly (`uuidString.lowercased()`
    /// built the string twice).
    public var stored: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        out[index] = 0x2D
                        index += 1
                    }
                    out[index] = Self.hexDigit(byte >> 4)
                    out[index + 1] = Self.hexDigit(byte & 0x0F)
                    index += 2
                }
                return index
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }
}
