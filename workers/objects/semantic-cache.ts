import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** The semantic cache of one organization's LLM answers (filled in by packages/ai-cache). */
export class SemanticCache extends DurableObject<Env> {}
