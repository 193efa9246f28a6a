import type { UploadInfo } from '@flowspark/booklet';
import { AppError, type ErrorCode } from '@flowspark/core';
import type { TemplateVariable } from '@flowspark/docgen';
import type { InspectedFile, TemplateFileInspector } from '@flowspark/documents';
import type { WorkflowRunParams } from '../env';

/**
 * The jobs Worker's RPC surface (the API Worker's `JOBS_SERVICE` service binding, entrypoint
 * `JobsService`): the few synchronous answers that need the parsers, which live only in the jobs
 * Worker's script so the API Worker starts without them.
 */
export interface JobsServiceRpc {
  inspectTemplateFile(bytes: Uint8Array, declared?: TemplateVariable[]): Promise<RpcOutcome<InspectedFile>>;
  /** What a booklet upload is: a PDF's pages and form fields, or a workbook's sheets. */
  inspectUpload(bytes: Uint8Array): Promise<RpcOutcome<UploadInfo>>;
  /**
   * Starts the durable instance that runs a workflow execution or an agent run (the Workflows
   * bindings are the jobs Worker's). Starting an instance id that exists already is a no-op.
   */
  startRun(kind: RunKind, instanceId: string, params: WorkflowRunParams): Promise<void>;
  /** Stops a run's instance (cancel); one that ended or does not exist is left as it is. */
  stopRun(kind: RunKind, instanceId: string): Promise<void>;
}

/** The two kinds of durable runs: workflow executions and agent runs. */
export type RunKind = 'execution' | 'agent';

/** An AppError as it crosses the binding (RPC keeps only an Error's message), rebuilt on the other side. */
export interface RpcAppError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type RpcOutcome<T> = { ok: true; value: T } | { ok: false; error: RpcAppError };

/** Runs `work` in the jobs Worker: AppErrors become an outcome, anything else is thrown as usual. */
export const toOutcome = async <T>(work: () => Promise<T>): Promise<RpcOutcome<T>> => {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { ok: false, error: { code: err.code, message: err.message, details: err.details, headers: err.headers } };
  }
};

/** The caller's side: the value, or the same AppError the jobs Worker raised. */
export const fromOutcome = <T>(outcome: RpcOutcome<T>): T => {
  if (outcome.ok) return outcome.value;
  const { code, message, details, headers } = outcome.error;
  throw new AppError(code, message, { details, headers });
};

/** Template files read by the jobs Worker, for package functions that take a TemplateFileInspector. */
export const remoteTemplateInspector =
  (service: JobsServiceRpc): TemplateFileInspector =>
  async (bytes, declared) =>
    fromOutcome(await service.inspectTemplateFile(bytes, declared));
