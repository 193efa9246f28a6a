import { cosineSimilarity } from '@flowspark/vectors';
import { describe, expect, it } from 'vitest';
import { conceptKey } from './concepts';
import { parseAiConfig } from './config';
import { isAiProviderError } from './errors';
import { createAiProvider } from './factory';
import { hashEmbedding, lexicalFeatures } from './lexical-embedding';

const bridged = (text: string) => lexicalFeatures(text, { bridged: true });
const concepts = (text: string) => bridged(text).filter((f) => f.startsWith('k:'));

describe('bridged lexical features', () => {
  it('keep the plain features unchanged and add trigrams of longer words and concepts', () => {
    const text = 'Reimbursed travel for 2 days';
    expect(lexicalFeatures(text)).toEqual(['w:reimbursed', 'w:travel', 'w:2', 'w:day']);
    expect(bridged(text)).toEqual([
      'w:reimbursed',
      'g:<re',
      'g:rei',
      'g:eim',
      'g:imb',
      'g:mbu',
      'g:bur',
      'g:urs',
      'g:rse',
      'g:sed',
      'g:ed>',
      'w:travel',
      'g:<tr',
      'g:tra',
      'g:rav',
      'g:ave',
      'g:vel',
      'g:el>',
      'w:2',
      'w:day',
      'k:money-back',
      'k:trip',
    ]);
  });

  it('name one concept for synonyms, two-word phrases and other languages', () => {
    expect(concepts('car park')).toEqual(['k:parking', 'k:car']);
    expect(concepts('the parking garage')).toEqual(['k:parking', 'k:parking']);
    expect(concepts('a lost laptop')).toEqual(['k:laptop']);
    expect(concepts('mon ordinateur portable')).toEqual(['k:laptop', 'k:phone']);
    expect(concepts('Télétravail à domicile')).toEqual(['k:work-home', 'k:work-home']);
    expect(concepts('Wi-Fi password')).toEqual(['k:wifi', 'k:password']);
    expect(concepts('春节假期有几天')).toEqual(['k:vacation']);
    expect(concepts('The quarterly figures')).toEqual([]);
    expect(conceptKey('Überstunden')).toBe('uberstunden');
  });

  it('bring a paraphrase without shared words closer than the plain hashing does', () => {
    const doc = 'The garage under the headquarters has 120 spaces, assigned by monthly lottery.';
    const question = 'Where do I leave my car park ticket?';
    const unrelated = 'Descale the espresso machine every two months.';
    const cos = (a: string, b: string, on: boolean) =>
      cosineSimilarity(hashEmbedding(a, 384, { bridged: on }), hashEmbedding(b, 384, { bridged: on }));
    // No shared feature, no shared bucket: exactly 0 without bridging; "park" meets "garage" with it.
    expect(cos(question, doc, false)).toBe(0);
    expect(cos(question, doc, true)).toBeCloseTo(0.0906, 4);
    expect(cos(question, unrelated, true)).toBeLessThan(0);
  });
});

describe('AI_EMBEDDINGS', () => {
  it('chooses the local embeddings: hash by default, bridged on request', async () => {
    const plain = await createAiProvider({}, {}).embed(['Office parking']);
    const chosen = await createAiProvider({ AI_EMBEDDINGS: ' Bridged ' }, {}).embed(['Office parking']);
    expect(plain.model).toBe('local-hash-384');
    expect(plain.vectors[0]).toEqual(hashEmbedding('Office parking'));
    expect(chosen.model).toBe('local-bridged-384');
    expect(chosen.dimensions).toBe(384);
    expect(chosen.vectors[0]).toEqual(hashEmbedding('Office parking', 384, { bridged: true }));
    expect(parseAiConfig({ AI_EMBEDDINGS: 'hash' })).toMatchObject({
      localEmbeddings: 'hash',
      models: { embedding: 'local-hash-384' },
    });
  });

  it('refuses an unknown value for the local provider and is ignored by the others', () => {
    let caught: unknown;
    try {
      parseAiConfig({ AI_EMBEDDINGS: 'minilm' });
    } catch (err) {
      caught = err;
    }
    expect(isAiProviderError(caught)).toBe(true);
    expect((caught as Error).message).toBe('Unknown AI_EMBEDDINGS "minilm": expected one of hash, bridged, model');
    expect(parseAiConfig({ AI_PROVIDER: 'workers-ai', AI_EMBEDDINGS: 'minilm' })).toMatchObject({
      localEmbeddings: 'hash',
      models: { embedding: '@cf/baai/bge-base-en-v1.5' },
    });
  });
});
