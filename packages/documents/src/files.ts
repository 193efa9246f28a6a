/**
 * R2 layout of generated documents, presentations, images and uploaded templates, under the tenant's
 * prefix (`orgPrefix` in @flowspark/core): one folder per resource, one object per version.
 */
import { orgPrefix } from '@flowspark/core';
import type { DocumentKind, DocumentRow } from './document-types';

export type FileArea = 'documents' | 'presentations' | 'images' | 'templates';

export const resourcePrefix = (orgId: string, area: FileArea, resourceId: string) =>
  `${orgPrefix(orgId)}${area}/${resourceId}/`;

/** One object per version: a re-render never overwrites a file an older version points to. */
export const versionFileKey = (orgId: string, area: FileArea, resourceId: string, version: number, extension: string) =>
  `${resourcePrefix(orgId, area, resourceId)}v${version}.${extension}`;

export const fileAreaOf = (kind: DocumentKind): FileArea => (kind === 'document' ? 'documents' : 'presentations');

/** The R2 key of one version's file: a re-render never overwrites another version's file. */
export const documentFileKey = (doc: Pick<DocumentRow, 'orgId' | 'kind' | 'id' | 'format'>, version: number) =>
  versionFileKey(doc.orgId, fileAreaOf(doc.kind), doc.id, version, doc.format);
