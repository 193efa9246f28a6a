import { registerFailureEffect } from '../lib/job-end';
import type { JobHandler } from './types';

export type JobHandlerLoader = () => Promise<JobHandler>;

/**
 * Job types and their handlers, imported on first use so the Worker starts without loading them (a
 * handler may pull heavy renderers). Add one line per job type, e.g.
 * `'document.generate': () => import('./handlers/document-generate').then((m) => m.documentGenerateHandler),`
 */
export const JOB_HANDLERS: Record<string, JobHandlerLoader> = {
  'image.generate': () => import('./handlers/image-generate').then((m) => m.imageGenerateHandler),
  'document.generate': () => import('./handlers/document-generate').then((m) => m.documentGenerateHandler),
  'presentation.generate': () => import('./handlers/document-generate').then((m) => m.presentationGenerateHandler),
  'kb.ingest': () => import('./handlers/kb-ingest').then((m) => m.kbIngestHandler),
  'booklet.generate': () => import('./handlers/booklet-generate').then((m) => m.bookletGenerateHandler),
  'summary.generate': () => import('./handlers/summary-generate').then((m) => m.summaryGenerateHandler),
  'integration.sync': () => import('./handlers/integration-sync').then((m) => m.integrationSyncHandler),
};

/**
 * Adds or replaces a job type at run time (tests, or types assembled elsewhere). Its `onFailed` hook
 * becomes the type's failure effect, run wherever the job's end is announced.
 */
export const registerJobHandler = (type: string, loader: JobHandlerLoader): void => {
  JOB_HANDLERS[type] = loader;
  loaded.delete(type);
  registerFailureEffect(type, async () => {
    const handler = await loadJobHandler(type);
    return async (ctx) => {
      await handler?.onFailed?.(ctx);
    };
  });
};

const loaded = new Map<string, Promise<JobHandler>>();

/** The handler of a job type; null when no such type is registered. */
export const loadJobHandler = async (type: string): Promise<JobHandler | null> => {
  if (!Object.hasOwn(JOB_HANDLERS, type)) return null;
  let promise = loaded.get(type);
  if (!promise) {
    promise = JOB_HANDLERS[type]!();
    loaded.set(type, promise);
    promise.catch(() => loaded.delete(type));
  }
  return promise;
};
