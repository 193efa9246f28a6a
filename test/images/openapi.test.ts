import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

describe('images routes in the OpenAPI document', () => {
  it('documents every images route with its scopes, responses and schemas', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown[]; responses: object }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const expected: Array<[string, string, string, string[]]> = [
      ['/api/v1/images/generate', 'post', 'generateImage', ['202', '400', '401', '403']],
      ['/api/v1/images', 'get', 'listImages', ['200', '400', '401']],
      ['/api/v1/images/{id}', 'get', 'getImage', ['200', '404']],
      ['/api/v1/images/{id}', 'delete', 'deleteImage', ['204', '404']],
      ['/api/v1/images/{id}/download', 'get', 'downloadImage', ['200', '304', '404', '409']],
    ];
    for (const [path, method, operationId, statuses] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(statuses));
    }
    const download = doc.paths['/api/v1/images/{id}/download']!.get!.responses as Record<string, { content?: object }>;
    expect(Object.keys(download['200']!.content ?? {})).toEqual(['image/png', 'image/jpeg']);
    for (const name of ['Image', 'ImageWithJob', 'ImageStatus', 'GenerateImageRequest']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(Object.keys(doc.components.schemas.GenerateImageRequest!.properties ?? {}).sort()).toEqual([
      'height',
      'negative_prompt',
      'prompt',
      'seed',
      'width',
    ]);
  });
});
