import { ConfluenceClient } from './confluence';
import type { IntegrationRow } from './integrations';
import { NotionClient } from './notion';
import type { ProviderClient } from './provider';
import type { ProviderHttpOptions } from './provider-http';

/** The API client for an integration, with its (opened) token. */
export const providerClient = (row: IntegrationRow, token: string, http: ProviderHttpOptions): ProviderClient =>
  row.type === 'notion'
    ? new NotionClient(token, http)
    : new ConfluenceClient(row.baseUrl!, row.email ?? '', token, http);
