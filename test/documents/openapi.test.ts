import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

type Operation = { operationId: string; security?: unknown[]; responses: Record<string, any>; requestBody?: any };

describe('document and presentation routes in the OpenAPI document', () => {
  it('documents every route with its operationId, security, statuses and schemas', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, any> };
    };
    const expected: Array<[string, string, string, string]> = [
      ['/api/v1/documents/generate', 'post', 'generateDocument', '202'],
      ['/api/v1/documents', 'get', 'listDocuments', '200'],
      ['/api/v1/documents/{id}', 'get', 'getDocument', '200'],
      ['/api/v1/documents/{id}', 'put', 'updateDocument', '202'],
      ['/api/v1/documents/{id}', 'delete', 'deleteDocument', '204'],
      ['/api/v1/documents/{id}/download', 'get', 'downloadDocument', '200'],
      ['/api/v1/documents/{id}/versions', 'get', 'listDocumentVersions', '200'],
      ['/api/v1/presentations/generate', 'post', 'generatePresentation', '202'],
      ['/api/v1/presentations', 'get', 'listPresentations', '200'],
      ['/api/v1/presentations/{id}', 'get', 'getPresentation', '200'],
      ['/api/v1/presentations/{id}', 'delete', 'deletePresentation', '204'],
      ['/api/v1/presentations/{id}/download', 'get', 'downloadPresentation', '200'],
    ];
    for (const [path, method, operationId, status] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation!.responses), `${method} ${path}`).toEqual(
        expect.arrayContaining([status, '400', '401', '403', '429']),
      );
    }
    expect(Object.keys(doc.paths['/api/v1/documents/{id}']!.put!.responses)).toEqual(
      expect.arrayContaining(['200', '202', '404', '409']),
    );
    const download = doc.paths['/api/v1/documents/{id}/download']!.get!.responses;
    expect(Object.keys(download['200'].content)).toEqual([
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    expect(Object.keys(download)).toEqual(expect.arrayContaining(['304', '404', '409']));
    for (const name of [
      'GeneratedDocument',
      'GeneratedDocumentStatus',
      'GeneratedDocumentFormat',
      'GenerateDocumentRequest',
      'UpdateDocumentRequest',
      'DocumentVersion',
      'Presentation',
      'GeneratePresentationRequest',
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    const request = doc.components.schemas.GenerateDocumentRequest;
    expect(request.required).toEqual(['title', 'format']);
    expect(request.additionalProperties).toBe(false);
    expect(Object.keys(request.properties)).toEqual([
      'title',
      'description',
      'format',
      'prompt',
      'template_id',
      'input_data',
      'content',
    ]);
  });
});
