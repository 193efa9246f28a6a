import { createDb } from '@flowspark/db';
import type { KbPorts } from '@flowspark/kb';
import type { Env } from '../env';
import { aiProvider } from './ai';
import { vectorIndex } from './vectors';

/** What knowledge-base ingestion, search and deletion need, from the Worker's bindings. */
export const kbPorts = (env: Env): KbPorts => ({
  db: createDb(env.DB),
  files: env.FILES,
  ai: aiProvider(env),
  vectors: vectorIndex(env),
});
