// The failure effects of the job types (workers/lib/job-end.ts loads this module on first use).
// Package functions are imported by name, never as a whole package (`import('@flowspark/documents')`):
// with the packages' `"sideEffects": false` a bundle then keeps only these light functions, and the
// parsers and renderers of the same packages stay out of the API Worker.
import { createDb } from '@flowspark/db';
import { failGeneration, failImageGeneration } from '@flowspark/documents';
import { failSyncOfJob } from '@flowspark/integrations';
import { failKbIngestion } from '@flowspark/kb';
import { failSummaryOfJob } from '@flowspark/summaries';
import type { FailureEffect } from './job-end';
import { kbPorts } from './kb-ports';

export const generationFailed: FailureEffect = (ctx) => failGeneration(createDb(ctx.env.DB), ctx.env.FILES, ctx.job);

export const imageGenerationFailed: FailureEffect = (ctx) =>
  failImageGeneration(createDb(ctx.env.DB), ctx.env.FILES, ctx.job);

export const kbIngestionFailed: FailureEffect = (ctx) => failKbIngestion(kbPorts(ctx.env), ctx.job, ctx.requestId);

export const summaryFailed: FailureEffect = (ctx) => failSummaryOfJob(createDb(ctx.env.DB), ctx.job);

export const integrationSyncFailed: FailureEffect = (ctx) => failSyncOfJob(createDb(ctx.env.DB), ctx.job);
