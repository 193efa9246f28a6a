import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { loadSsoConfig } from './config';

const app = (vars: Record<string, string> = {}) => loadConfig({ ENVIRONMENT: 'development', ...vars });

describe('loadSsoConfig', () => {
  it('knows Google’s issuer and takes the client secret from SSO_GOOGLE_CLIENT_SECRET', () => {
    const config = loadSsoConfig(
      {
        SSO_PROVIDERS: '{"google": {"client_id": "abc.apps.googleusercontent.com"}}',
        SSO_GOOGLE_CLIENT_SECRET: 's3cret',
        SSO_REDIRECT_URIS: 'https://app.example/sso, http://localhost:3000/sso',
      } as Record<string, string>,
      app(),
    );
    expect(config.providers.get('google')).toEqual({
      id: 'google',
      issuer: 'https://accounts.google.com',
      issuerAliases: ['accounts.google.com'],
      clientId: 'abc.apps.googleusercontent.com',
      clientSecret: 's3cret',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(config.redirectUris).toEqual(['https://app.example/sso', 'http://localhost:3000/sso']);
    expect(config.local).toBeNull();
  });

  it('takes any other issuer by configuration, with openid always among the scopes', () => {
    const config = loadSsoConfig(
      {
        SSO_PROVIDERS: '{"acme-okta": {"issuer": "https://acme.okta.example", "client_id": "x", "scopes": ["email"]}}',
        SSO_ACME_OKTA_CLIENT_SECRET: 'y',
      } as Record<string, string>,
      app(),
    );
    expect(config.providers.get('acme-okta')).toMatchObject({
      issuer: 'https://acme.okta.example',
      issuerAliases: [],
      scopes: ['openid', 'email'],
    });
  });

  it.each([
    ['not JSON', { SSO_PROVIDERS: '{' }],
    ['no secret', { SSO_PROVIDERS: '{"google": {"client_id": "x"}}' }],
    ['no client id', { SSO_PROVIDERS: '{"google": {}}', SSO_GOOGLE_CLIENT_SECRET: 'y' }],
    [
      'an http issuer',
      { SSO_PROVIDERS: '{"corp": {"issuer": "http://corp.example", "client_id": "x"}}', SSO_CORP_CLIENT_SECRET: 'y' },
    ],
    [
      'the reserved id local',
      { SSO_PROVIDERS: '{"local": {"issuer": "https://x.example", "client_id": "x"}}', SSO_LOCAL_CLIENT_SECRET: 'y' },
    ],
    ['a redirect URI with a fragment', { SSO_REDIRECT_URIS: 'https://app.example/sso#x' }],
    ['a redirect URI that is no URL', { SSO_REDIRECT_URIS: 'app.example/sso' }],
  ])('refuses %s', (_label, vars) => {
    expect(() => loadSsoConfig(vars as Record<string, string>, app())).toThrow(/SSO configuration/);
  });

  it('refuses a plain http redirect URI in production unless it is localhost', () => {
    expect(() => loadSsoConfig({ SSO_REDIRECT_URIS: 'http://app.example/sso' }, loadConfig({}))).toThrow(
      /SSO configuration/,
    );
    expect(loadSsoConfig({ SSO_REDIRECT_URIS: 'http://app.example/sso' }, app()).redirectUris).toHaveLength(1);
  });

  it('adds the local issuer only where SSO_LOCAL_ISSUER is on outside production', () => {
    const secrets = { SSO_LOCAL_CLIENT_SECRET: 'c', SSO_LOCAL_SIGNING_KEY: '{}' };
    const local = loadSsoConfig(secrets, app({ SSO_LOCAL_ISSUER: 'true', JWT_ISSUER: 'http://localhost:8787' }));
    expect(local.local?.issuer).toBe('http://localhost:8787/api/v1/dev/oidc');
    expect(local.providers.get('local')).toMatchObject({ clientId: 'flowspark-local', allowHttp: true });
    expect(loadSsoConfig(secrets, loadConfig({ SSO_LOCAL_ISSUER: 'true' })).providers.has('local')).toBe(false);
    expect(loadSsoConfig(secrets, app({ SSO_LOCAL_ISSUER: 'yes' })).providers.has('local')).toBe(false);
    expect(() => loadSsoConfig({}, app({ SSO_LOCAL_ISSUER: 'true' }))).toThrow(/SSO_LOCAL_CLIENT_SECRET/);
  });
});
