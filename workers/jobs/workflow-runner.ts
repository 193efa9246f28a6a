import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from 'cloudflare:workers';
import type { Env, WorkflowRunParams } from '../env';

/**
 * The Workflows class of workflow executions (see workflow-execution.ts for what a run does). The jobs
 * Worker's entry point exports it, so it imports nothing at the top: the run's code, and zod with the
 * OpenAPI extension before any package builds a schema (see consumer.ts), load with the first run.
 */
export class WorkflowExecutionRunner extends WorkflowEntrypoint<Env, WorkflowRunParams> {
  override async run(event: WorkflowEvent<WorkflowRunParams>, step: WorkflowStep): Promise<unknown> {
    await import('@hono/zod-openapi');
    const { runExecution } = await import('./workflow-execution');
    return runExecution(this.env, event, step);
  }
}
