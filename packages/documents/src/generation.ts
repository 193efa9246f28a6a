/** Starting a generation: the request checked, then the document, its job and the template's usage in one batch. */
import { type Actor, newId, notFound, validationError } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import type { DocumentModelInput } from '@flowspark/docgen';
import { buildJob, type JobRow } from '@flowspark/jobs';
import { assertPromptSize, assertTemplateFits, checkInput } from './document-checks';
import {
  DEFAULT_SLIDE_COUNT,
  type DocumentFormat,
  type DocumentKind,
  type DocumentOptions,
  type DocumentRow,
  GENERATION_JOB_TYPES,
  type GenerationJobInput,
  NO_OUTPUT_YET,
} from './document-types';
import { getTemplate, incrementTemplateUsage, type TemplateRecord } from './templates';

const { documents, jobs } = schema;

export interface GenerationRequest {
  kind: DocumentKind;
  title: string;
  description?: string;
  format: DocumentFormat;
  prompt?: string;
  template_id?: string;
  input_data?: Record<string, unknown>;
  content?: DocumentModelInput;
  slide_count?: number;
  speaker_notes?: boolean;
}

export const generationJob = (
  actor: Pick<Actor, 'orgId' | 'userId'>,
  doc: Pick<DocumentRow, 'id' | 'kind'>,
  version: number,
  reservationId?: string,
) =>
  buildJob({
    orgId: actor.orgId,
    type: GENERATION_JOB_TYPES[doc.kind],
    resourceType: doc.kind,
    resourceId: doc.id,
    input: {
      document_id: doc.id,
      version,
      ...(reservationId ? { reservation_id: reservationId } : {}),
    } satisfies GenerationJobInput as unknown as Record<string, unknown>,
    createdBy: actor.userId,
  });

/**
 * Whether the generation may ask the AI (and so must reserve tokens): anything but a given document
 * model. A template without a prompt template renders its body without the AI; the reservation is
 * then settled with nothing used.
 */
export const generationUsesAi = (request: Pick<GenerationRequest, 'content'>): boolean => request.content === undefined;

/**
 * Checks the request, then writes the document (pending, version 0), its job and the template's
 * usage count in one batch. The caller enqueues the job. A template must be visible to the tenant
 * (its own or a public one) and its variables satisfied; otherwise nothing is written.
 */
export const startGeneration = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  request: GenerationRequest,
  /** The tokens reserved for the job (see generationUsesAi), settled when it ends. */
  reservationId?: string,
): Promise<{ document: DocumentRow; job: JobRow }> => {
  const { prompt, content } = request;
  assertPromptSize(prompt);
  if (prompt === undefined && request.template_id === undefined && content === undefined) {
    throw validationError('Nothing to generate from', {
      prompt: ['Give a prompt, a template_id or content (a document model)'],
    });
  }
  if (content !== undefined && (prompt !== undefined || request.template_id !== undefined)) {
    throw validationError('content is a complete document', {
      content: ['content cannot be combined with prompt or template_id'],
    });
  }
  let template: TemplateRecord | null = null;
  if (request.template_id !== undefined) {
    template = await getTemplate(db, actor.orgId, request.template_id);
    if (!template) throw notFound('Template');
    assertTemplateFits(template, request.format, prompt);
  }
  const inputData = request.input_data ?? {};
  checkInput(template, inputData);

  const options: DocumentOptions = {};
  if (content !== undefined) options.content = content;
  if (request.kind === 'presentation') {
    options.slide_count = request.slide_count ?? DEFAULT_SLIDE_COUNT;
    options.speaker_notes = request.speaker_notes ?? true;
  }
  const now = new Date().toISOString();
  const id = newId('doc');
  const job = generationJob(actor, { id, kind: request.kind }, 1, reservationId);
  const document: DocumentRow = {
    id,
    orgId: actor.orgId,
    kind: request.kind,
    title: request.title,
    description: request.description ?? '',
    format: request.format,
    status: 'pending',
    templateId: template?.id ?? null,
    prompt: prompt ?? null,
    inputData,
    options: options as Record<string, unknown>,
    currentVersion: 0,
    ...NO_OUTPUT_YET,
    tokensUsed: 0,
    jobId: job.id,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db.insert(documents).values(document),
    db.insert(jobs).values(job),
    ...(template ? [incrementTemplateUsage(db, template.id)] : []),
  ]);
  return { document, job };
};
