import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from 'cloudflare:workers';
import type { Env, WorkflowRunParams } from '../env';

/** Runs one workflow execution, step by step, as a durable Workflow instance. */
export class WorkflowExecutionRunner extends WorkflowEntrypoint<Env, WorkflowRunParams> {
  override async run(_event: WorkflowEvent<WorkflowRunParams>, _step: WorkflowStep): Promise<unknown> {
    return null;
  }
}
