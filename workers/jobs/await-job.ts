import type { WorkflowStep } from 'cloudflare:workers';
import { createDb } from '@flowspark/db';
import { getJob, isTerminal, type JobRow } from '@flowspark/jobs';
import type { Env } from '../env';

/** Most checks of one job (sleeps double from 0.5 s up to 10 s between them: about 15 minutes). */
const MAX_CHECKS = 96;
const FIRST_WAIT_MS = 500;
const LONGEST_WAIT_MS = 10_000;

/**
 * Waits, inside a durable run, for a job (a document or image the run asked for) to end, without
 * holding a queue consumer: each check is a step and each wait a durable sleep, so the job runs
 * meanwhile and a restarted run resumes its waiting. `name` keeps the steps of two waits apart.
 * Returns the job as it ended; a job that does not end in time throws.
 */
export const awaitJob = async (
  step: WorkflowStep,
  env: Pick<Env, 'DB'>,
  orgId: string,
  jobId: string,
  name: string,
): Promise<JobRow> => {
  for (let check = 0; check < MAX_CHECKS; check += 1) {
    // The step's value is the row as JSON text: JobRow's `unknown` fields are not provably serializable.
    const text = await step.do(`${name}: check ${check + 1}`, async () => {
      const found = await getJob(createDb(env.DB), orgId, jobId);
      if (!found) throw new Error(`The job ${jobId} does not exist`);
      return JSON.stringify(found);
    });
    const row = JSON.parse(text) as JobRow;
    if (isTerminal(row.status)) return row;
    await step.sleep(`${name}: wait ${check + 1}`, Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** check));
  }
  throw new Error(`The job ${jobId} did not finish in time`);
};
