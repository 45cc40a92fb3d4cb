import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// The ticketing plugin: tickets, their timeline and comments. Viewers read; operators and admins write;
    /// only admins delete.
    static var ticketSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(TicketActorDTO.self, as: "TicketActor") {
                    Field("kind", at: \.kind).description("user | apikey | system")
                    Field("id", at: \.id).description("The user or API key id; null for system.")
                    Field("name", at: \.name).description("Email, key name, or what in ITOps acted.")
                }
                Type(TicketTimelineEntryDTO.self, as: "TicketTimelineEntry") {
                    Field("id", at: \.id)
                    Field("at", at: \.at)
                    Field("actor", at: \.actor)
                    Field("kind", at: \.kind).description("created | changed | comment | reopened | exclusion_window")
                    Field("field", at: \.field).description("The field changed.")
                    Field("before", at: \.before)
                    Field("after", at: \.after)
                    Field("body", at: \.body).description("A comment's text or a note.")
                }
                Type(TicketDTO.self, as: "Ticket") {
                    Field("id", at: \.id)
                    Field("key", at: \.key).description("ITOPS-<number>, sequential without gaps.")
                    Field("number", at: \.number)
                    Field("title", at: \.title)
                    Field("description", at: \.description)
                    Field("status", at: \.status).description("open | acknowledged | in_progress | resolved | closed")
                    Field("priority", at: \.priority).description("P1 | P2 | P3 | P4")
                    Field("serviceId", at: \.serviceId)
                    Field("slaGroup", at: \.slaGroup)
                    Field("assigneeId", at: \.assigneeId)
                    Field("assigneeEmail", at: TicketDTO.assigneeEmail)
                    Field("reporter", at: \.reporter)
                    Field("labels", at: \.labels)
                    Field("source", at: \.source).description(
                        "manual | incident | sla_breach | burn_rate | backup_overdue | storage | workflow")
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                    Field("acknowledgedAt", at: \.acknowledgedAt)
                    Field("resolvedAt", at: \.resolvedAt)
                    Field("comments", at: TicketDTO.comments)
                    Field("timeline", at: TicketDTO.timeline).description("Every change, oldest first.")
                }
                Type(TicketEdgeDTO.self, as: "TicketEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(TicketConnectionDTO.self, as: "TicketConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Input(Resolver.TicketFilterInput.self, as: "TicketFilter") {
                    InputField("status", at: \.status)
                    InputField("priority", at: \.priority)
                    InputField("serviceId", at: \.serviceId)
                    InputField("slaGroup", at: \.slaGroup)
                    InputField("assigneeId", at: \.assigneeId)
                    InputField("source", at: \.source)
                    InputField("search", at: \.search).description("Part of the title, or a key like ITOPS-42.")
                }
                Input(Resolver.TicketInputDTO.self, as: "TicketInput") {
                    InputField("title", at: \.title).description("1–256 characters, one line.")
                    InputField("description", at: \.description).description("At most 64 KiB.")
                    InputField("priority", at: \.priority).description("P1–P4, default P3.")
                    InputField("serviceId", at: \.serviceId)
                    InputField("slaGroup", at: \.slaGroup)
                    InputField("assigneeId", at: \.assigneeId).description("A user id.")
                    InputField("labels", at: \.labels).description("At most 20, each 1–64 characters.")
                }
                Input(Resolver.TicketPatchDTO.self, as: "TicketUpdateInput") {
                    InputField("title", at: \.title)
                    InputField("description", at: \.description)
                    InputField("status", at: \.status).description(
                        "closed is final; a resolved ticket may be reopened (open, in_progress).")
                    InputField("priority", at: \.priority)
                    InputField("serviceId", at: \.serviceId).description("Empty string clears.")
                    InputField("slaGroup", at: \.slaGroup).description("Empty string clears.")
                    InputField("assigneeId", at: \.assigneeId).description("Empty string clears.")
                    InputField("labels", at: \.labels)
                }
            },
            query: {
                Field("tickets", at: Resolver.tickets) {
                    Argument("filter", at: \.filter)
                    Argument("first", at: \.first).description("1–500, default 50.")
                    Argument("after", at: \.after)
                }
                .description("Newest first. Plugin ticketing.")
                Field("ticket", at: Resolver.ticket) {
                    Argument("id", at: \.id).description("The id or the key (ITOPS-42).")
                }
                .description("Plugin ticketing.")
            },
            mutation: {
                Field("createTicket", at: Resolver.createTicket) {
                    Argument("input", at: \.input)
                }
                .description("Operators and admins. Plugin ticketing.")
                Field("updateTicket", at: Resolver.updateTicket) {
                    Argument("id", at: \.id).description("The id or the key.")
                    Argument("input", at: \.input).description("Absent fields keep their value.")
                }
                .description("Operators and admins; every change lands in the timeline. Plugin ticketing.")
                Field("deleteTicket", at: Resolver.deleteTicket) {
                    Argument("id", at: \.id)
                }
                .description("Admins only; false when there was none. Plugin ticketing.")
                Field("addTicketComment", at: Resolver.addTicketComment) {
                    Argument("id", at: \.id)
                    Argument("body", at: \.body).description("1–16384 characters.")
                }
                .description("Operators and admins. Plugin ticketing.")
            }
        )
    }
}
