import { assertDocumentQuota } from '@flowspark/billing';
import {
  emptySyncCounts,
  failSyncOfJob,
  INTEGRATION_SYNC_JOB_TYPE,
  integrationToken,
  loadSyncWork,
  providerClient,
  runSync,
} from '@flowspark/integrations';
import { JobError } from '@flowspark/jobs';
import { kbMaxUploadBytes } from '@flowspark/kb';
import { z } from 'zod';
import { kbPorts } from '../../lib/kb-ports';
import { outboundFetch } from '../../lib/outbound';
import type { JobHandler } from '../types';

const InputSchema = z.object({ sync_id: z.string().regex(/^isy_[0-9a-f]{32}$/) });

/**
 * `integration.sync`: one sync of a Notion or Confluence integration (packages/integrations):
 * changed pages re-indexed, new ones added, gone ones removed from the knowledge base, the provider's
 * rate limit waited out. The sync row is the log; the job fails when the sync could not finish.
 */
export const integrationSyncHandler: JobHandler<z.infer<typeof InputSchema>> = {
  type: INTEGRATION_SYNC_JOB_TYPE,
  input: InputSchema,

  async run(ctx) {
    const ports = kbPorts(ctx.env);
    const work = await loadSyncWork(ports.db, ctx.orgId, ctx.input.sync_id);
    if (!work) throw new JobError('SYNC_GONE', 'The sync or its integration was deleted');
    let token: string;
    try {
      token = await integrationToken(
        { current: ctx.env.ENCRYPTION_KEY, previous: ctx.env.ENCRYPTION_KEY_PREVIOUS },
        work.integration,
      );
    } catch {
      throw new JobError('TOKEN_UNREADABLE', 'The integration’s token cannot be decrypted: set its credentials again');
    }
    const counts = emptySyncCounts();
    const client = providerClient(work.integration, token, {
      fetch: outboundFetch(),
      onRateLimited: () => {
        counts.rate_limit_waits += 1;
      },
    });
    const sync = await runSync(
      {
        kb: ports,
        queue: ctx.env.JOBS,
        admit: (bytes) => assertDocumentQuota(ports.db, ctx.orgId, bytes, ctx.env.BILLING_PLANS),
        maxBytes: kbMaxUploadBytes(ctx.env as unknown as { KB_MAX_UPLOAD_BYTES?: string }),
        progress: (percent, message) => ctx.progress(percent, message),
      },
      client,
      work,
      counts,
    );
    if (sync.status === 'failed') {
      throw new JobError(sync.errorCode ?? 'SYNC_FAILED', sync.errorMessage ?? 'The sync could not finish');
    }
    return { sync_id: sync.id, status: sync.status, ...sync.counts };
  },

  /** The job failed or was cancelled before the sync ended: the sync says so. */
  onFailed: (ctx) => failSyncOfJob(kbPorts(ctx.env).db, ctx.job),
};
