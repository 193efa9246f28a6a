// `npm run sdk`: regenerates packages/sdk/src/schema.ts from the API's OpenAPI document. The document
// is built in this process from the route groups, exactly as GET /openapi.json serves it (no server,
// no network, no Cloudflare account); `test/e2e/sdk.test.ts` checks the result against the document
// the running server serves.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import system from '../workers/api/routes/system';
import { generateSdkTypes, SDK_TYPES_PATH } from './sdk-types.mjs';

const res = await system.request('/openapi.json', {}, {} as never);
if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${await res.text()}`);
const document = (await res.json()) as { paths: Record<string, unknown> };
writeFileSync(join(import.meta.dirname, '..', SDK_TYPES_PATH), await generateSdkTypes(document));
console.log(`${SDK_TYPES_PATH}: ${Object.keys(document.paths).length} paths`);
