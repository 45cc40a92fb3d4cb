import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// Webhooks, workflows and templates (admin only). See docs/outbound.md.
    static var outboundSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(WebhookDTO.self, as: "Webhook") {
                    Field("id", at: \.id)
                    Field("url", at: \.url)
                    Field("events", at: \.events).description("Event names of the reference it receives.")
                    Field("enabled", at: \.enabled)
                    Field("hasSecret", at: \.hasSecret).description("The signing secret is never returned.")
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                }
                Type(WebhookDeliveryDTO.self, as: "WebhookDelivery") {
                    Field("id", at: \.id).description("Also sent as X-ITOps-Delivery.")
                    Field("webhookId", at: \.webhookId)
                    Field("event", at: \.event)
                    Field("status", at: \.status).description("Pending | Success | Failed | ExecFailed")
                    Field("httpCode", at: \.httpCode).description("The last attempt's HTTP status, if it got one.")
                    Field("error", at: \.error).description(
                        "Why the last attempt failed; the guard's reason when blocked.")
                    Field("durationMs", at: \.durationMs).description("How long the last attempt took.")
                    Field("attempt", at: \.attempt).description("Attempts made so far.")
                    Field("payload", at: \.payload).description("The JSON body sent (the same on every attempt).")
                    Field("createdAt", at: \.createdAt)
                    Field("nextAttemptAt", at: \.nextAttemptAt).description(
                        "When the next retry is due (Pending only).")
                    Field("completedAt", at: \.completedAt)
                }
                Input(Resolver.WebhookInputDTO.self, as: "WebhookInput") {
                    InputField("url", at: \.url).description(
                        "http(s) URL; checked by the SSRF guard on every delivery.")
                    InputField("events", at: \.events)
                    InputField("secret", at: \.secret).description("HMAC-SHA256 key, 16–256 characters.")
                    InputField("enabled", at: \.enabled).description("Default true.")
                }
                Input(Resolver.WebhookPatchDTO.self, as: "UpdateWebhookInput") {
                    InputField("url", at: \.url)
                    InputField("events", at: \.events)
                    InputField("secret", at: \.secret)
                    InputField("enabled", at: \.enabled)
                }
                Type(NamedValueDTO.self, as: "HttpHeader") {
                    Field("name", at: \.name)
                    Field("value", at: \.value)
                }
                Type(ConditionDTO.self, as: "WorkflowCondition") {
                    Field("field", at: \.field)
                    Field("equals", at: \.equals)
                }
                Type(WorkflowTriggerDTO.self, as: "WorkflowTrigger") {
                    Field("event", at: \.event)
                    Field("filter", at: \.filter).description(
                        "Every condition must hold (event field = value, as text).")
                }
                Type(WorkflowStepDTO.self, as: "WorkflowStep") {
                    Field("type", at: \.type).description("HTTP_REQUEST | CREATE_TICKET | DELAY")
                    Field("method", at: \.method)
                    Field("url", at: \.url)
                    Field("headers", at: \.headers)
                    Field("body", at: \.body).description(
                        "Template: {{field}}, {{event}}, {{payload}}, {{executionId}}.")
                    Field("title", at: \.title)
                    Field("description", at: \.description)
                    Field("seconds", at: \.seconds)
                }
                Type(WorkflowDTO.self, as: "Workflow") {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                    Field("description", at: \.description)
                    Field("enabled", at: \.enabled)
                    Field("trigger", at: \.trigger)
                    Field("steps", at: \.steps)
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                }
                Input(Resolver.HeaderInputDTO.self, as: "HttpHeaderInput") {
                    InputField("name", at: \.name)
                    InputField("value", at: \.value)
                }
                Input(Resolver.ConditionInputDTO.self, as: "WorkflowConditionInput") {
                    InputField("field", at: \.field)
                    InputField("equals", at: \.equals)
                }
                Input(Resolver.StepInputDTO.self, as: "WorkflowStepInput") {
                    InputField("type", at: \.type).description("HTTP_REQUEST | CREATE_TICKET | DELAY")
                    InputField("method", at: \.method).description(
                        "HTTP_REQUEST: GET, POST (default), PUT, PATCH, DELETE, HEAD")
                    InputField("url", at: \.url).description("HTTP_REQUEST: template")
                    InputField("headers", at: \.headers).description("HTTP_REQUEST: values are templates")
                    InputField("body", at: \.body).description("HTTP_REQUEST: template")
                    InputField("title", at: \.title).description("CREATE_TICKET: template")
                    InputField("description", at: \.description).description("CREATE_TICKET: template")
                    InputField("seconds", at: \.seconds).description("DELAY: 1–86400")
                }
                Input(Resolver.WorkflowInputDTO.self, as: "WorkflowInput") {
                    InputField("name", at: \.name)
                    InputField("description", at: \.description)
                    InputField("enabled", at: \.enabled).description("Default true.")
                    InputField("event", at: \.event).description("The event name that starts it.")
                    InputField("filter", at: \.filter)
                    InputField("steps", at: \.steps)
                }
                Type(StepResultDTO.self, as: "WorkflowStepResult") {
                    Field("index", at: \.index)
                    Field("type", at: \.type)
                    Field("status", at: \.status).description("Success | Failed | ExecFailed")
                    Field("httpCode", at: \.httpCode)
                    Field("error", at: \.error)
                    Field("output", at: \.output)
                    Field("durationMs", at: \.durationMs)
                    Field("at", at: \.at)
                }
                Type(WorkflowExecutionDTO.self, as: "WorkflowExecution") {
                    Field("id", at: \.id)
                    Field("workflowId", at: \.workflowId)
                    Field("workflowName", at: \.workflowName)
                    Field("event", at: \.event)
                    Field("status", at: \.status).description("Pending | Running | Success | Failed | ExecFailed")
                    Field("error", at: \.error)
                    Field("steps", at: \.steps)
                    Field("createdAt", at: \.createdAt)
                    Field("resumeAt", at: \.resumeAt).description("When a DELAY ends (unfinished executions only).")
                    Field("finishedAt", at: \.finishedAt)
                }
                Type(TemplateChangeDTO.self, as: "TemplateChange") {
                    Field("kind", at: \.kind).description("workflows | serviceCatalog | slaDefinitions | notificationChannels | notificationRules")
                    Field("name", at: \.name)
                    Field("outcome", at: \.outcome).description("created | updated | unchanged")
                }
                Type(TemplateImportDTO.self, as: "TemplateImportResult") {
                    Field("dryRun", at: \.dryRun).description("Nothing was written.")
                    Field("changes", at: \.changes)
                    Field("created", at: \.created)
                    Field("updated", at: \.updated)
                    Field("unchanged", at: \.unchanged)
                }
            },
            query: {
                Field("webhooks", at: Resolver.webhooks).description("Admin only.")
                Field("webhookDeliveries", at: Resolver.webhookDeliveries) {
                    Argument("webhookId", at: \.webhookId)
                    Argument("first", at: \.first).description("Newest first, 1–500 (default 50).")
                }
                .description("Delivery history of a webhook. Admin only.")
                Field("workflows", at: Resolver.workflows).description("By name. Admin only.")
                Field("workflow", at: Resolver.workflow) {
                    Argument("id", at: \.id)
                }
                .description("Admin only.")
                Field("workflowExecutions", at: Resolver.workflowExecutions) {
                    Argument("workflowId", at: \.workflowId).description("Omit for every workflow.")
                    Argument("first", at: \.first).description("Newest first, 1–500 (default 50).")
                }
                .description("Executions with their step results. Admin only.")
            },
            mutation: {
                Field("createWebhook", at: Resolver.createWebhook) {
                    Argument("input", at: \.input)
                }
                .description("Admin only.")
                Field("updateWebhook", at: Resolver.updateWebhook) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input).description("Absent fields keep their value.")
                }
                .description("Admin only.")
                Field("deleteWebhook", at: Resolver.deleteWebhook) {
                    Argument("id", at: \.id)
                }
                .description("Deletes the webhook and its history; false when there was none. Admin only.")
                Field("testWebhook", at: Resolver.testWebhook) {
                    Argument("id", at: \.id)
                }
                .description("Sends a webhook:test delivery now (one attempt) and returns it. Admin only.")
                Field("createWorkflow", at: Resolver.createWorkflow) {
                    Argument("input", at: \.input)
                }
                .description("Admin only.")
                Field("updateWorkflow", at: Resolver.updateWorkflow) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input).description("The whole new definition.")
                }
                .description("Admin only.")
                Field("deleteWorkflow", at: Resolver.deleteWorkflow) {
                    Argument("id", at: \.id)
                }
                .description("Deletes the workflow and its executions. Admin only.")
                Field("importTemplates", at: Resolver.importTemplates) {
                    Argument("yaml", at: \.yaml)
                    Argument("dryRun", at: \.dryRun).description("Validate and report, write nothing.")
                }
                .description(
                    "Workflows, service catalog and SLA definitions from YAML; idempotent by name. Admin only.")
                Field("exportTemplates", at: Resolver.exportTemplates) {
                    Argument("kinds", at: \.kinds).description(
                        "workflows | serviceCatalog | slaDefinitions | notificationChannels | notificationRules; all when omitted.")
                }
                .description("The YAML document. Admin only.")
            }
        )
    }
}
