import { WorkerEntrypoint } from 'cloudflare:workers';
import type { UploadInfo } from '@flowspark/booklet';
import type { TemplateVariable } from '@flowspark/docgen';
import type { InspectedFile } from '@flowspark/documents';
import type { Env, WorkflowRunParams } from '../env';
import { type JobsServiceRpc, type RpcOutcome, type RunKind, toOutcome } from '../lib/jobs-service';

/**
 * The jobs Worker's RPC entrypoint, bound in the API Worker as `JOBS_SERVICE`. It answers what the
 * API must know before it replies and what only the parsers can tell (a template file's kind and
 * fields); the parsers load on the first call.
 */
export class JobsService extends WorkerEntrypoint<Env> implements JobsServiceRpc {
  async inspectTemplateFile(bytes: Uint8Array, declared?: TemplateVariable[]): Promise<RpcOutcome<InspectedFile>> {
    const { inspectTemplateFile } = await import('@flowspark/documents');
    return toOutcome(() => inspectTemplateFile(bytes, declared));
  }

  async inspectUpload(bytes: Uint8Array): Promise<RpcOutcome<UploadInfo>> {
    const { inspectUpload } = await import('@flowspark/booklet/inspect');
    return toOutcome(() => inspectUpload(bytes));
  }

  async startRun(kind: RunKind, instanceId: string, params: WorkflowRunParams): Promise<void> {
    const { startRunInstance } = await import('./runs');
    await startRunInstance(this.env, kind, instanceId, params);
  }

  async stopRun(kind: RunKind, instanceId: string): Promise<void> {
    const { stopRunInstance } = await import('./runs');
    await stopRunInstance(this.env, kind, instanceId);
  }
}
