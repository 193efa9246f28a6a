import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** Per-tenant job feed (being built). */
export class JobFeed extends DurableObject<Env> {}
