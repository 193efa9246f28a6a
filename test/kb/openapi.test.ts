import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

describe('knowledge-base routes in the OpenAPI document', () => {
  it('documents every route with its scopes, responses and schemas', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { operationId: string; security?: unknown[]; responses: Record<string, { content?: object }> }>
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const expected: Array<[string, string, string, string[]]> = [
      ['/api/v1/kb/documents/upload', 'post', 'uploadKbDocument', ['200', '202', '400', '401', '403', '413', '415']],
      ['/api/v1/kb/documents/text', 'post', 'createKbTextDocument', ['200', '202', '400', '413']],
      ['/api/v1/kb/documents', 'get', 'listKbDocuments', ['200', '400', '401']],
      ['/api/v1/kb/documents/{id}', 'get', 'getKbDocument', ['200', '404']],
      ['/api/v1/kb/documents/{id}', 'delete', 'deleteKbDocument', ['204', '404']],
      ['/api/v1/kb/documents/{id}/reindex', 'post', 'reindexKbDocument', ['202', '404', '409']],
      ['/api/v1/kb/search', 'get', 'searchKb', ['200', '400', '401', '403']],
      ['/api/v1/kb/query', 'post', 'queryKb', ['200', '400', '401', '403']],
      ['/api/v1/kb/queries', 'get', 'listKbQueries', ['200', '400', '401']],
    ];
    for (const [path, method, operationId, statuses] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(statuses));
    }
    const query = doc.paths['/api/v1/kb/query']!.post!.responses['200']!;
    expect(Object.keys(query.content ?? {})).toEqual(['application/json', 'text/event-stream']);
    for (const name of [
      'KbDocument',
      'KbDocumentAccepted',
      'KbSearchHit',
      'KbSearchResult',
      'KbCitation',
      'KbAnswer',
      'KbQueryRecord',
      'QueryKbRequest',
      'CreateKbTextRequest',
      'UploadKbDocumentRequest',
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(Object.keys(doc.components.schemas.KbCitation!.properties ?? {}).sort()).toEqual(
      ['chunk_id', 'document_id', 'page_number', 'score', 'snippet', 'source', 'title'].sort(),
    );
  });
});
