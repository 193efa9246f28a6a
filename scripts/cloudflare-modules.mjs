// Lets Node load the Worker's modules outside workerd, to read their route contracts (`npm run sdk`
// builds the OpenAPI document in-process this way): the runtime's own `cloudflare:` modules resolve to
// bare base classes. Nothing that runs a Worker is loaded like this; a module that imports a name not
// listed here fails to load, loudly. Use with `node --import ./scripts/cloudflare-modules.mjs` (or tsx).
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const MODULES = {
  'cloudflare:workers': [
    'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }',
    'export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }',
    'export class WorkflowEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }',
    'export class RpcTarget {}',
    'export const env = {};',
  ].join('\n'),
  'cloudflare:workflows': 'export class NonRetryableError extends Error {}',
};

/** The module hook (runs on Node's loader thread). */
export const resolve = async (specifier, context, next) => {
  const source = MODULES[specifier];
  if (source === undefined) return next(specifier, context);
  return { url: `data:text/javascript,${encodeURIComponent(source)}`, shortCircuit: true };
};

if (isMainThread) register(import.meta.url);
