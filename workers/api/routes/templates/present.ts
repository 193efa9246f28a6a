import type { TemplateVariable } from '@flowspark/docgen';
import type { TemplateFormat, TemplateKind, TemplateRecord } from '@flowspark/documents';

export interface TemplateView {
  id: string;
  name: string;
  description: string;
  format: TemplateFormat;
  kind: TemplateKind;
  variables: TemplateVariable[];
  body: Record<string, unknown> | null;
  prompt_template: string | null;
  is_public: boolean;
  usage_count: number;
  /** `own`: the caller's organization owns it; `public`: another organization shares it. */
  owner: 'own' | 'public';
  file: { name: string; size_bytes: number } | null;
  created_at: string;
  updated_at: string;
}

/** Never the file key or the owning organization: a public template is seen by other tenants. */
export const presentTemplate = (row: TemplateRecord, orgId: string): TemplateView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  format: row.format,
  kind: row.kind,
  variables: row.variables,
  body: (row.body as Record<string, unknown> | null) ?? null,
  prompt_template: row.promptTemplate,
  is_public: row.isPublic,
  usage_count: row.usageCount,
  owner: row.orgId === orgId ? 'own' : 'public',
  file: row.fileKey
    ? { name: row.fileKey.slice(row.fileKey.lastIndexOf('/') + 1), size_bytes: row.fileSizeBytes ?? 0 }
    : null,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
