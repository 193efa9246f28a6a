import type { TemplateFileInspector } from '@flowspark/documents';
import type { Env } from '../../env';
import { remoteTemplateInspector } from '../../lib/jobs-service';

/** Template files are read by the jobs Worker, where the DOCX and PDF parsers live. */
export const templateInspector = (env: Pick<Env, 'JOBS_SERVICE'>): TemplateFileInspector =>
  remoteTemplateInspector(env.JOBS_SERVICE);
