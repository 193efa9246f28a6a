import type { OidcProviderConfig } from '@flowspark/auth';
import type { AppConfig } from '@flowspark/core';

/**
 * SSO configuration from Worker vars and secrets:
 * - `SSO_PROVIDERS` (var, JSON): `{"google": {"client_id": "…"}, "okta": {"issuer": "https://…", "client_id": "…"}}`;
 *   `google` knows its issuer, any other id names one. Optional `scopes` (default openid email profile).
 * - `SSO_<ID>_CLIENT_SECRET` (secret) for each, e.g. `SSO_GOOGLE_CLIENT_SECRET`.
 * - `SSO_REDIRECT_URIS` (var): the allow-list of redirect URIs, comma or space separated.
 * - `SSO_LOCAL_ISSUER = "true"` (local and test configurations only): the built-in issuer, provider
 *   `local`, with `SSO_LOCAL_CLIENT_SECRET` and `SSO_LOCAL_SIGNING_KEY` (generated locally).
 */
export interface SsoVars {
  SSO_PROVIDERS?: string;
  SSO_REDIRECT_URIS?: string;
  SSO_LOCAL_CLIENT_SECRET?: string;
  SSO_LOCAL_SIGNING_KEY?: string;
}

export const LOCAL_PROVIDER = 'local';
export const LOCAL_CLIENT_ID = 'flowspark-local';
/** Where the local issuer is served, under the API's own origin (`JWT_ISSUER`). */
export const LOCAL_ISSUER_PATH = '/api/v1/dev/oidc';

export interface LocalIssuerConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Private EC P-256 JWK (with `kid`) that signs the local ID tokens. */
  signingKey: string;
  redirectUris: readonly string[];
}

export interface SsoConfig {
  providers: ReadonlyMap<string, OidcProviderConfig>;
  redirectUris: readonly string[];
  local: LocalIssuerConfig | null;
}

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const PROVIDER_ID = /^[a-z][a-z0-9-]{1,31}$/;

/** Issuers the configuration only has to name by id. */
const PRESETS: Record<string, { issuer: string; issuerAliases: string[] }> = {
  google: { issuer: 'https://accounts.google.com', issuerAliases: ['accounts.google.com'] },
};

/** A plain Error: logged for the operator, answered as a bare 500 (the envelope never names a secret). */
const misconfigured = (message: string) => new Error(`SSO configuration: ${message}`);

export const clientSecretVar = (id: string) => `SSO_${id.toUpperCase().replaceAll('-', '_')}_CLIENT_SECRET`;

const parseRedirectUris = (raw: string | undefined, production: boolean): string[] =>
  (raw ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((value) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw misconfigured(`SSO_REDIRECT_URIS has an invalid URL`);
      }
      const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
      if (url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && (local || !production)))) {
        throw misconfigured('SSO_REDIRECT_URIS must be https URLs without a fragment');
      }
      return value;
    });

const parseProviders = (env: Record<string, unknown>): Map<string, OidcProviderConfig> => {
  const providers = new Map<string, OidcProviderConfig>();
  const raw = env.SSO_PROVIDERS;
  if (typeof raw !== 'string' || !raw.trim()) return providers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw misconfigured('SSO_PROVIDERS is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw misconfigured('SSO_PROVIDERS must be an object of providers by id');
  }
  for (const [id, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!PROVIDER_ID.test(id) || id === LOCAL_PROVIDER) throw misconfigured(`"${id}" is not a usable provider id`);
    const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const preset = PRESETS[id];
    const issuer = typeof entry.issuer === 'string' ? entry.issuer : preset?.issuer;
    if (!issuer?.startsWith('https://')) throw misconfigured(`provider "${id}" needs an https issuer`);
    if (typeof entry.client_id !== 'string' || !entry.client_id) {
      throw misconfigured(`provider "${id}" needs a client_id`);
    }
    const secret = env[clientSecretVar(id)];
    if (typeof secret !== 'string' || !secret) throw misconfigured(`provider "${id}" has no ${clientSecretVar(id)}`);
    const scopes = Array.isArray(entry.scopes) ? entry.scopes.filter((s) => typeof s === 'string') : DEFAULT_SCOPES;
    providers.set(id, {
      id,
      issuer,
      issuerAliases: issuer === preset?.issuer ? preset.issuerAliases : [],
      clientId: entry.client_id,
      clientSecret: secret,
      scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    });
  }
  return providers;
};

const cache = new WeakMap<object, { app: AppConfig; config: SsoConfig }>();

/** Parsed once per env object, like the app configuration. A broken configuration is a 500, never a guess. */
export const loadSsoConfig = (env: SsoVars, app: AppConfig): SsoConfig => {
  const cached = cache.get(env);
  if (cached?.app === app) return cached.config;
  const vars = env as Record<string, unknown>;
  const redirectUris = parseRedirectUris(env.SSO_REDIRECT_URIS, app.environment === 'production');
  const providers = parseProviders(vars);
  let local: LocalIssuerConfig | null = null;
  if (app.ssoLocalIssuer) {
    if (!env.SSO_LOCAL_CLIENT_SECRET || !env.SSO_LOCAL_SIGNING_KEY) {
      throw misconfigured('SSO_LOCAL_ISSUER needs SSO_LOCAL_CLIENT_SECRET and SSO_LOCAL_SIGNING_KEY');
    }
    local = {
      issuer: `${app.issuer.replace(/\/+$/, '')}${LOCAL_ISSUER_PATH}`,
      clientId: LOCAL_CLIENT_ID,
      clientSecret: env.SSO_LOCAL_CLIENT_SECRET,
      signingKey: env.SSO_LOCAL_SIGNING_KEY,
      redirectUris,
    };
    providers.set(LOCAL_PROVIDER, {
      id: LOCAL_PROVIDER,
      issuer: local.issuer,
      clientId: local.clientId,
      clientSecret: local.clientSecret,
      scopes: DEFAULT_SCOPES,
      allowHttp: true,
    });
  }
  const config: SsoConfig = { providers, redirectUris, local };
  cache.set(env, { app, config });
  return config;
};
