import { describe, expect, it } from 'vitest';
import { call, expectOk } from '../helpers/harness';

describe('auth routes in the OpenAPI document', () => {
  it('documents every auth route with its operationId and security', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string; security?: unknown[]; responses: object }>>;
      components: { schemas: Record<string, unknown> };
    };
    const expected: Array<[string, string, string, boolean]> = [
      ['/api/v1/auth/register', 'post', 'register', false],
      ['/api/v1/auth/login', 'post', 'login', false],
      ['/api/v1/auth/refresh', 'post', 'refreshTokens', false],
      ['/api/v1/auth/logout', 'post', 'logout', true],
      ['/api/v1/auth/password/reset', 'post', 'requestPasswordReset', false],
      ['/api/v1/auth/password/reset/confirm', 'post', 'confirmPasswordReset', false],
      ['/api/v1/auth/password/change', 'post', 'changePassword', true],
      ['/api/v1/auth/me', 'get', 'getMe', true],
      ['/api/v1/auth/me', 'put', 'updateMe', true],
      ['/api/v1/auth/sessions', 'get', 'listSessions', true],
      ['/api/v1/auth/sessions/{id}', 'delete', 'revokeSession', true],
      ['/api/v1/dev/outbox', 'get', 'listDevOutbox', false],
    ];
    for (const [path, method, operationId, secured] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation?.security, `${method} ${path}`).toEqual(secured ? [{ bearerAuth: [] }] : []);
    }
    expect(Object.keys(doc.paths['/api/v1/auth/login']!.post!.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '429']),
    );
    for (const name of ['AuthRegisterRequest', 'AuthLoginResult', 'AuthMfaRequired', 'AuthMe', 'AuthSession']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });
});
