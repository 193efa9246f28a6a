/**
 * Generated documents and presentations (one table, `kind` tells them apart) and their versions: row
 * types, limits and what a generation job carries. A generation is a document row plus a job, written
 * in one batch (generation.ts); the job renders the file, writes it to R2 under a key that belongs to
 * one version, and then commits the version row and the document's new current version together
 * (generation-job.ts). A document's file only changes on success, so nothing half-written is ever
 * downloadable. Every query is scoped to the tenant.
 */
import type { schema } from '@flowspark/db';
import type { DocumentModelInput } from '@flowspark/docgen';

type Documents = typeof schema.documents;
type DocumentVersions = typeof schema.documentVersions;

export type DocumentRow = Documents['$inferSelect'];
export type DocumentVersionRow = DocumentVersions['$inferSelect'];
export type DocumentKind = DocumentRow['kind'];
export type DocumentStatus = DocumentRow['status'];
export type DocumentFormat = DocumentRow['format'];

export const DOCUMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
/** Formats of `/documents`; pptx decks are made by `/presentations`. */
export const DOCUMENT_FORMATS = ['docx', 'pdf', 'xlsx'] as const;
export const MAX_PROMPT_CHARS = 20_000;
export const DEFAULT_SLIDE_COUNT = 8;
export const MAX_SLIDE_COUNT = 50;

export const GENERATION_JOB_TYPES: Record<DocumentKind, string> = {
  document: 'document.generate',
  presentation: 'presentation.generate',
};

/** What a generation job carries: ids and the version it renders (deterministic output key). */
export interface GenerationJobInput {
  document_id: string;
  version: number;
  /** The token reservation the job settles when it ends (a generation that asks the AI). */
  reservation_id?: string;
}

/** Stored in `documents.options`: the parts of the request that are neither prompt nor input data. */
export interface DocumentOptions {
  /** A document model given directly (no AI); its texts may hold `{{variables}}` from input_data. */
  content?: DocumentModelInput;
  slide_count?: number;
  speaker_notes?: boolean;
}

export const documentOptions = (doc: Pick<DocumentRow, 'options'>): DocumentOptions =>
  (doc.options ?? {}) as DocumentOptions;

/** The output columns of a generated document or image before its job produced anything. */
export const NO_OUTPUT_YET = {
  fileKey: null,
  fileSizeBytes: 0,
  contentType: null,
  modelUsed: null,
  generationTimeMs: null,
  errorCode: null,
  errorMessage: null,
} as const;
