import { logger, newId } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { schema } from '@flowspark/db';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail. Local mode writes to the dev outbox; production posts to a mail webhook. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Writes mail to the `dev_outbox` table, readable at GET /api/v1/dev/outbox outside production. */
export const outboxMailer = (db: Database): Mailer => ({
  async send(message) {
    await db.insert(schema.devOutbox).values({
      id: newId('req').replace('req_', 'mail_'),
      recipient: message.to,
      subject: message.subject,
      body: message.text,
      createdAt: new Date().toISOString(),
    });
    logger.info('mail written to dev outbox', { recipient: message.to, subject: message.subject });
  },
});

/** Posts `{to, subject, text}` as JSON to a mail-sending webhook (any transactional mail provider). */
export const webhookMailer = (url: string, fetcher: typeof fetch = fetch): Mailer => ({
  async send(message) {
    const res = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    if (!res.ok) {
      logger.error('mail webhook refused a message', { status: res.status, subject: message.subject });
      throw new Error(`Mail webhook answered ${res.status}`);
    }
  },
});
