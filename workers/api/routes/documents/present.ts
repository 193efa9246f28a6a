import {
  DEFAULT_SLIDE_COUNT,
  type DocumentFormat,
  type DocumentKind,
  type DocumentRow,
  type DocumentStatus,
  type DocumentVersionRow,
  documentOptions,
  fileAreaOf,
} from '@flowspark/documents';
import { generatedFields } from '../../lib/present';

export interface DocumentView extends ReturnType<typeof generatedFields> {
  id: string;
  title: string;
  description: string;
  format: DocumentFormat;
  status: DocumentStatus;
  template_id: string | null;
  prompt: string | null;
  input_data: Record<string, unknown>;
  current_version: number;
  file_size_bytes: number;
  content_type: string | null;
  tokens_used: number;
  /** Where the current version downloads from; null until the first render succeeded. */
  download_url: string | null;
}

export interface PresentationView extends DocumentView {
  slide_count: number;
  speaker_notes: boolean;
}

const basePath = (kind: DocumentKind, id: string) => `/api/v1/${fileAreaOf(kind)}/${id}`;

export const presentDocument = (row: DocumentRow): DocumentView => ({
  id: row.id,
  title: row.title,
  description: row.description,
  format: row.format,
  status: row.status,
  template_id: row.templateId,
  prompt: row.prompt,
  input_data: row.inputData ?? {},
  current_version: row.currentVersion,
  file_size_bytes: row.fileSizeBytes,
  content_type: row.contentType,
  tokens_used: row.tokensUsed,
  ...generatedFields(row),
  download_url: row.currentVersion > 0 && row.fileKey ? `${basePath(row.kind, row.id)}/download` : null,
});

export const presentPresentation = (row: DocumentRow): PresentationView => {
  const options = documentOptions(row);
  return {
    ...presentDocument(row),
    slide_count: options.slide_count ?? DEFAULT_SLIDE_COUNT,
    speaker_notes: options.speaker_notes ?? true,
  };
};

/** A rendered version, with the URL its file downloads from. */
export const presentVersion = (doc: Pick<DocumentRow, 'kind' | 'id'>, row: DocumentVersionRow) => ({
  version: row.version,
  file_size_bytes: row.fileSizeBytes,
  tokens_used: row.tokensUsed,
  model_used: row.modelUsed,
  generation_time_ms: row.generationTimeMs,
  created_at: row.createdAt,
  download_url: `${basePath(doc.kind, doc.id)}/download?version=${row.version}`,
});

/** The title as a file name: path separators and characters file systems refuse become `_`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const UNSAFE_NAME = /[\\/:*?"<>|\u0000-\u001f\u007f]+/g;
export const downloadName = (doc: Pick<DocumentRow, 'title' | 'format'>) =>
  `${doc.title.replace(UNSAFE_NAME, '_').trim() || 'document'}.${doc.format}`;
