/** An error answered by the API: the envelope's `code`, `message` and `details`, with the request id. */
export class FlowSparkError extends Error {
  override readonly name = 'FlowSparkError';
  /** The HTTP status (0 for an `error` event inside a stream that had already started). */
  readonly status: number;
  /** The envelope's `error.code`, e.g. `VALIDATION_ERROR`, `NOT_FOUND`, `INSUFFICIENT_TOKENS`. */
  readonly code: string;
  /** The envelope's `error.details` (`fields` for validation errors, `required`/`available` for tokens…). */
  readonly details: Record<string, unknown>;
  /** `meta.request_id` (or the `X-Request-Id` header): quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** Seconds from `Retry-After` (429, some 503s). */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: Record<string, unknown> | null;
    requestId?: string | null;
    retryAfter?: number;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? undefined;
    this.retryAfter = init.retryAfter;
  }
}

interface ErrorEnvelope {
  error?: { code?: unknown; message?: unknown; details?: unknown };
  meta?: { request_id?: unknown };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The error a failed response stands for (its body is read). */
export const errorFromResponse = async (response: Response): Promise<FlowSparkError> => {
  let body: ErrorEnvelope = {};
  try {
    body = (await response.json()) as ErrorEnvelope;
  } catch {
    // Not the envelope (a proxy's page, an empty body): the status speaks alone.
  }
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new FlowSparkError({
    status: response.status,
    code: text(body.error?.code) ?? `HTTP_${response.status}`,
    message: text(body.error?.message) ?? (response.statusText || `HTTP ${response.status}`),
    details: (body.error?.details as Record<string, unknown> | undefined) ?? null,
    requestId: text(body.meta?.request_id) ?? response.headers.get('x-request-id'),
    ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
  });
};
