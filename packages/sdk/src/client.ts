import createFetchClient, { type Client } from 'openapi-fetch';
import { errorFromResponse } from './errors';
import type { components, paths } from './schema';

export type Tokens = components['schemas']['Tokens'];

/** A WebSocket constructor (the runtime's own by default: browsers, Deno, Workers, Node 22+). */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocket;

export interface ClientOptions {
  /** Where the API is served, e.g. `http://localhost:8787` (the `/api/v1` paths are added to it). */
  baseUrl: string;
  /** An API key (`fsk_…`). */
  apiKey?: string;
  /** An access token (JWT) from register, login or refresh. */
  accessToken?: string;
  /** With an access token: a 401 exchanges it at POST /auth/refresh once and repeats the request. */
  refreshToken?: string;
  /** Called with every new pair of tokens (store them: the old refresh token no longer works). */
  onTokens?: (tokens: Tokens) => void | Promise<void>;
  /** Adds a fresh `Idempotency-Key` to every POST that has none (default true). */
  idempotencyKeys?: boolean;
  /** The fetch to send requests with (default: the runtime's). */
  fetch?: (request: Request) => Promise<Response>;
  /** The WebSocket constructor for the job feed (default: the runtime's, when it has one). */
  WebSocket?: WebSocketConstructor;
}

export interface FlowSparkClient {
  /** Typed calls for every route of the OpenAPI document: `api.GET('/api/v1/jobs/{id}', …)`. */
  readonly api: Client<paths>;
  /**
   * A request to the API with the client's credentials, `Idempotency-Key` and refresh: a path of the API
   * (`/api/v1/…`) and RequestInit. Answers the response when it is not an error; throws FlowSparkError otherwise.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  readonly baseUrl: string;
  /** The bearer value requests carry now (the API key, or the newest access token). */
  readonly token: string | undefined;
  /** Uses these tokens from now on (after a login made outside the client, say). */
  setTokens(tokens: Pick<Tokens, 'access_token' | 'refresh_token'>): void;
  readonly WebSocket: WebSocketConstructor | undefined;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * A client for the API. Every call carries `Authorization: Bearer …`; every POST an `Idempotency-Key`
 * (kept when the request is repeated after a refresh, so a retry never does the work twice); with an
 * access token and a refresh token, a 401 refreshes once (concurrent 401s share one refresh) and the
 * request is sent again. An error response throws FlowSparkError with the envelope's code, details
 * and request id.
 */
export const createClient = (options: ClientOptions): FlowSparkClient => {
  const baseUrl = trimSlash(options.baseUrl);
  const send = options.fetch ?? ((request: Request) => fetch(request));
  let token = options.apiKey ?? options.accessToken;
  let refreshToken = options.apiKey ? undefined : options.refreshToken;
  let refreshing: Promise<boolean> | undefined;

  const setTokens = (tokens: Pick<Tokens, 'access_token' | 'refresh_token'>) => {
    token = tokens.access_token;
    refreshToken = tokens.refresh_token;
  };

  /** One refresh at a time: concurrent 401s wait for the same one. */
  const refreshOnce = (): Promise<boolean> => {
    if (!refreshing) {
      refreshing = refresh().finally(() => {
        refreshing = undefined;
      });
    }
    return refreshing;
  };

  const refresh = async (): Promise<boolean> => {
    const presented = refreshToken;
    if (!presented) return false;
    const response = await send(
      new Request(`${baseUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: presented }),
      }),
    );
    if (!response.ok) {
      await response.body?.cancel();
      return false;
    }
    const tokens = ((await response.json()) as { data: Tokens }).data;
    setTokens(tokens);
    await options.onTokens?.(tokens);
    return true;
  };

  const authorized = async (request: Request): Promise<Response> => {
    const explicit = request.headers.has('authorization');
    const sent = token;
    const headers = new Headers(request.headers);
    if (!explicit && sent) headers.set('authorization', `Bearer ${sent}`);
    if (request.method === 'POST' && options.idempotencyKeys !== false && !headers.has('idempotency-key')) {
      headers.set('idempotency-key', crypto.randomUUID());
    }
    const canRetry = !explicit && refreshToken !== undefined && !request.url.endsWith('/api/v1/auth/refresh');
    const first = new Request(request, { headers });
    const again = canRetry ? first.clone() : undefined;
    let response = await send(first);
    if (response.status === 401 && again) {
      // Another request may have refreshed meanwhile: then its new token is simply used.
      const renewed = token !== sent || (await refreshOnce());
      if (renewed) {
        await response.body?.cancel();
        again.headers.set('authorization', `Bearer ${token}`);
        response = await send(again);
      }
    }
    if (response.status >= 400) throw await errorFromResponse(response);
    return response;
  };

  const api = createFetchClient<paths>({ baseUrl, fetch: authorized });

  return {
    api,
    baseUrl,
    get token() {
      return token;
    },
    setTokens,
    // Paths only: the credentials never go to another origin.
    fetch: async (path, init) => {
      if (!path.startsWith('/')) throw new TypeError(`client.fetch takes a path of the API (/api/v1/…), not ${path}`);
      return authorized(new Request(`${baseUrl}${path}`, init));
    },
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
  };
};

/** The envelope's `data` of a typed call (`await unwrap(client.api.GET(…))`); errors were thrown already. */
export const unwrap = async <T>(call: Promise<{ data?: T; response: Response }>): Promise<DataOf<T>> => {
  const { data } = await call;
  return (data as { data?: unknown } | undefined)?.data as DataOf<T>;
};

/** An envelope's `data`; other bodies of the same route (an event stream's text) and empty ones (204) have none. */
type DataOf<T> = [T] extends [undefined] ? undefined : T extends { data: infer D } ? D : never;
