import Foundation
import ITOpsCore

/// Running workflow executions step by step.
extension OutboundService {
    /// Runs `execution` from its next step until it finishes, fails, or reaches a `DELAY` (then it is saved
    /// with `resumeAt` and released). Progress is saved after every step, so a restart resumes at the step
    /// that was running.
    func advance(_ claimed: WorkflowExecution) async {
        var execution = claimed
        do {
            guard let workflow = try await store.reader.outboundReader().workflow(id: execution.workflowId) else {
                execution.status = .failed
                execution.error = "the workflow was deleted"
                try await finish(&execution)
                return
            }
            execution.status = .running
            let steps = workflow.definition.steps
            while execution.nextStep < steps.count {
                let index = execution.nextStep
                let step = steps[index]
                let result = await run(step, index: index, of: execution)
                execution.steps.append(result)
                execution.nextStep += 1
                switch result.status {
                case .execFailed, .failed:
                    execution.status = result.status
                    execution.error = "step \(index + 1) (\(step.type.rawValue)): \(result.error ?? "failed")"
                    try await finish(&execution)
                    return
                default:
                    break
                }
                if step.type == .delay, let seconds = step.seconds {
                    execution.resumeAt = clock.now().addingTimeInterval(TimeInterval(seconds))
                    execution.leaseUntil = nil
                    if execution.nextStep < steps.count {
                        try await save(execution)
                        return
                    }
                } else if execution.nextStep < steps.count {
                    try await save(execution)
                }
            }
            execution.status = .success
            try await finish(&execution)
        } catch {
            logger.error(
                "could not record a workflow execution",
                metadata: ["execution": "\(execution.id)", "error": "\(error)"])
        }
    }

    private func save(_ execution: WorkflowExecution) async throws {
        try await store.write { try await $0.outboundWriter().update(execution) }
    }

    private func finish(_ execution: inout WorkflowExecution) async throws {
        execution.finishedAt = clock.now()
        execution.resumeAt = nil
        execution.leaseUntil = nil
        try await save(execution)
        settings.onOutcome?("workflow", execution.status)
    }

    /// One step; never throws: what went wrong is the step's result.
    private func run(_ step: WorkflowStep, index: Int, of execution: WorkflowExecution) async -> StepResult {
        let now = clock.now()
        switch step.type {
        case .delay:
            return StepResult(
                index: index, type: .delay, status: .success, output: "waiting \(step.seconds ?? 0) s", at: now)
        case .createTicket:
            let title = WorkflowRules.render(step.title ?? "", execution: execution)
            let description = step.description.map { WorkflowRules.render($0, execution: execution) } ?? ""
            guard let tickets else {
                return StepResult(
                    index: index, type: .createTicket, status: .failed, error: "ticketing is not available", at: now)
            }
            // One open ticket per workflow, service and title: a repeat of the event comments on it.
            let fields = JSONText.fields(of: execution.payload)
            let serviceId = fields["serviceId"].flatMap(UUID.init(uuidString:))
            let cause = TicketCause(
                source: .workflow, serviceId: serviceId, title: title.isEmpty ? execution.workflowName : title,
                detail: description.isEmpty ? "Opened by workflow \(execution.workflowName) on \(execution.event)." : description,
                priority: .p3, scope: "\(execution.workflowId.stored):\(title)")
            do {
                guard let outcome = try await tickets.raise(cause, by: .system("workflow \(execution.workflowName)"))
                else {
                    return StepResult(
                        index: index, type: .createTicket, status: .failed,
                        error: "the ticketing plugin is not licensed", at: now)
                }
                let (ticket, created) = outcome
                return StepResult(
                    index: index, type: .createTicket, status: .success,
                    output: created ? "created \(ticket.key): \(ticket.title)" : "commented on open \(ticket.key)",
                    at: now)
            } catch {
                return StepResult(
                    index: index, type: .createTicket, status: .failed, error: "\(error)", at: now)
            }
        case .httpRequest:
            let request = OutboundRequest(
                method: step.method ?? "POST", url: WorkflowRules.render(step.url ?? "", execution: execution),
                headers: (step.headers ?? []).map {
                    OutboundHeader($0.name, WorkflowRules.render($0.value, execution: execution))
                },
                body: Array(WorkflowRules.render(step.body ?? "", execution: execution).utf8))
            let started = ContinuousClock.now
            var result = StepResult(index: index, type: .httpRequest, status: .success, at: now)
            do {
                let response = try await client.send(request)
                result.httpCode = response.status
                if !(200..<300).contains(response.status) {
                    result.status = .failed
                    result.error = "HTTP \(response.status)"
                }
                result.output = String(decoding: response.body.prefix(512), as: UTF8.self)
            } catch {
                result.status = if case .refused = error { .execFailed } else { .failed }
                result.error = error.description
            }
            result.durationMs = Self.milliseconds(ContinuousClock.now - started)
            return result
        }
    }
}
