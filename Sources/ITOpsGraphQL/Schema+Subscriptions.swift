import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// One subscription per domain event (SPEC §8), delivered over `/graphql/ws`.
    static var subscriptionSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(ServiceStatusChangedDTO.self, as: "ServiceStatusChanged") {
                    Field("serviceId", at: \.serviceId)
                    Field("nodeId", at: \.nodeId)
                    Field("serviceName", at: \.serviceName)
                    Field("oldStatus", at: \.oldStatus).description("Null for a service seen for the first time.")
                    Field("newStatus", at: \.newStatus)
                    Field("message", at: \.message)
                    Field("at", at: \.at).description("When the change happened (ISO 8601, UTC).")
                }
                .description("service:status_changed")
                Type(SLAIncidentDTO.self, as: "SLAIncidentEvent") {
                    Field("incidentId", at: \.incidentId)
                    Field("serviceId", at: \.serviceId)
                    Field("nodeId", at: \.nodeId)
                    Field("serviceName", at: \.serviceName)
                    Field("phase", at: \.phase).description("opened | closed")
                    Field("at", at: \.at)
                }
                .description("sla:incident")
                Type(SLAAlertDTO.self, as: "SLAAlert") {
                    Field("kind", at: \.kind).description(
                        "node_silent | backup_overdue | storage_warning | storage_critical | sla_burn_rate | sla_burn_rate_cleared | sla_report_generated"
                    )
                    Field("nodeId", at: \.nodeId).description("Null for alerts about an SLA group or the fleet.")
                    Field("slaGroup", at: \.slaGroup)
                    Field("rule", at: \.rule).description("Burn-rate alerts: long/short window, e.g. 1h/5m.")
                    Field("burnRate", at: \.burnRate).description("Burn-rate alerts: the long window's burn rate.")
                    Field("serviceId", at: \.serviceId)
                    Field("serviceName", at: \.serviceName)
                    Field("message", at: \.message)
                    Field("at", at: \.at)
                }
                .description("sla:alert")
                Type(LicenseUpdatedDTO.self, as: "LicenseUpdated") {
                    Field("customer", at: \.customer).description("Null while unlicensed (trial or community).")
                    Field("plugins", at: \.plugins)
                    Field("expiresAt", at: \.expiresAt)
                    Field("trial", at: \.trial)
                    Field("reason", at: \.reason)
                    Field("at", at: \.at)
                }
                .description("license:updated")
                Type(TicketEventDTO.self, as: "TicketEvent") {
                    Field("ticketId", at: \.ticketId)
                    Field("title", at: \.title)
                    Field("status", at: \.status)
                    Field("serviceId", at: \.serviceId)
                    Field("at", at: \.at)
                }
                .description("ticket:created | ticket:updated | ticket:deleted")
            },
            subscription: {
                SubscriptionField(
                    "serviceStatusChanged", as: ServiceStatusChangedDTO.self, atSub: Resolver.serviceStatusChanged
                ) {
                    Argument("nodeId", at: \.nodeId).description("A node and everything below it.")
                    Argument("serviceId", at: \.serviceId)
                }
                SubscriptionField("slaIncident", as: SLAIncidentDTO.self, atSub: Resolver.slaIncident)
                SubscriptionField("slaAlert", as: SLAAlertDTO.self, atSub: Resolver.slaAlert)
                SubscriptionField("licenseUpdated", as: LicenseUpdatedDTO.self, atSub: Resolver.licenseUpdated)
                SubscriptionField("ticketCreated", as: TicketEventDTO.self, atSub: Resolver.ticketCreated)
                SubscriptionField("ticketUpdated", as: TicketEventDTO.self, atSub: Resolver.ticketUpdated)
                SubscriptionField("ticketDeleted", as: TicketEventDTO.self, atSub: Resolver.ticketDeleted)
            }
        )
    }
}
