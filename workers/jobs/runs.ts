import { describeError, logger } from '@flowspark/core';
import type { Env, WorkflowRunParams } from '../env';
import type { RunKind } from '../lib/jobs-service';

const bindingOf = (env: Env, kind: RunKind) => (kind === 'execution' ? env.WORKFLOW_EXECUTIONS : env.AGENT_RUNS);

/** A Workflows error that means the instance id is taken: the run was started already. */
const isDuplicate = (err: unknown) => /already exists|duplicate/i.test(String((err as Error)?.message ?? err));

/** Starts a run's durable instance; an instance that exists already (a repeated start) is kept. */
export const startRunInstance = async (env: Env, kind: RunKind, instanceId: string, params: WorkflowRunParams) => {
  try {
    await bindingOf(env, kind).create({ id: instanceId, params });
  } catch (err) {
    if (!isDuplicate(err)) throw err;
  }
};

/** Terminates a run's instance. An instance that ended or never started is left alone (logged). */
export const stopRunInstance = async (env: Env, kind: RunKind, instanceId: string) => {
  try {
    const instance = await bindingOf(env, kind).get(instanceId);
    const { status } = await instance.status();
    if (status === 'complete' || status === 'errored' || status === 'terminated') return;
    await instance.terminate();
  } catch (err) {
    logger.info('run instance not terminated', { instance_id: instanceId, ...describeError(err) });
  }
};
