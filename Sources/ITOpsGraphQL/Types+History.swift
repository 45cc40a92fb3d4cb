import Foundation
import ITOpsCore

struct StatusChangeDTO: Codable, Sendable {
    let id: String
    let from: String?
    let to: String
    let at: String
    let message: String?

    init(_ t: StatusTransition) {
        id = t.id.stored
        from = t.from?.rawValue
        to = t.to.rawValue
        at = t.at.iso8601
        message = t.message
    }
}

struct StatusChangeEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: StatusChangeDTO
}

struct StatusChangeConnectionDTO: Codable, Sendable {
    let edges: [StatusChangeEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct NodeStatusCountDTO: Codable, Sendable {
    let nodeId: String
    let status: String
    let count: Int

    init(_ c: NodeStatusCount) {
        nodeId = c.nodeId
        status = c.status.rawValue
        count = c.count
    }
}
