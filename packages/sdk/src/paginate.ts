import type { FlowSparkClient } from './client';
import type { paths } from './schema';

type GetOperation<P extends keyof paths> = paths[P] extends { get: infer O } ? O : never;
type ListBody<P extends keyof paths> =
  GetOperation<P> extends {
    responses: { 200: { content: { 'application/json': infer B } } };
  }
    ? B
    : never;

/** The paths whose GET answers a page: `data` is an array and `pagination` is beside it. */
export type PaginatedPath = {
  [P in keyof paths]: ListBody<P> extends { data: unknown[]; pagination: unknown } ? P : never;
}[keyof paths];

/** What one page of the path lists. */
export type ItemOf<P extends PaginatedPath> = ListBody<P> extends { data: (infer T)[] } ? T : never;

type Parameters<P extends PaginatedPath> = GetOperation<P> extends { parameters: infer R } ? R : never;

export type PaginateOptions<P extends PaginatedPath> = {
  /** The list's filters (`status`, `format`, …); `page` is where to start, `page_size` how many a request. */
  query?: Parameters<P> extends { query?: infer Q } ? Q : never;
  signal?: AbortSignal;
} & (Parameters<P> extends { path: infer A } ? { path: A } : { path?: never });

/**
 * Every item of a list, page after page (`page_size` 100 unless given), as an async iterator:
 * `for await (const job of paginate(client, '/api/v1/jobs', { query: { status: 'done' } }))`.
 * A page is fetched only when the previous one has been read; breaking out stops fetching.
 */
export async function* paginate<P extends PaginatedPath>(
  client: FlowSparkClient,
  path: P,
  ...[options]: Parameters<P> extends { path: unknown } ? [PaginateOptions<P>] : [PaginateOptions<P>?]
): AsyncGenerator<ItemOf<P>> {
  const query: Record<string, unknown> = { page_size: 100, ...(options?.query as object | undefined) };
  let page = Number(query.page ?? 1);
  for (;;) {
    const get = client.api.GET as (path: string, init: unknown) => Promise<{ data?: unknown }>;
    const { data } = await get(path, {
      params: { path: options?.path, query: { ...query, page } },
      signal: options?.signal,
    });
    const body = data as { data: ItemOf<P>[]; pagination: { has_next: boolean } };
    yield* body.data;
    if (!body.pagination.has_next) return;
    page += 1;
  }
}
