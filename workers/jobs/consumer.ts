import { logger } from '@flowspark/core';
import type { Env, JobMessage } from '../env';

/**
 * Queue consumer. Messages carry ids only. Job types register their handlers here as they are
 * built; until a job type exists, a message for it cannot be processed and is acknowledged with a
 * log line rather than retried forever.
 */
export const handleQueue = async (batch: MessageBatch<JobMessage>, _env: Env): Promise<void> => {
  const deadLetter = batch.queue.endsWith('-dlq');
  for (const message of batch.messages) {
    const body = message.body as Partial<JobMessage> | null;
    if (!body || typeof body.job_id !== 'string' || typeof body.tenant_id !== 'string') {
      logger.warn('malformed queue message dropped', { queue: batch.queue, message_id: message.id });
      message.ack();
      continue;
    }
    logger.warn(deadLetter ? 'dead-lettered job' : 'no handler for job', {
      queue: batch.queue,
      job_id: body.job_id,
      tenant_id: body.tenant_id,
    });
    message.ack();
  }
};
