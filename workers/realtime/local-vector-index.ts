import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** The local vector index (being built). */
export class LocalVectorIndex extends DurableObject<Env> {}
