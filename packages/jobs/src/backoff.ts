/**
 * Delay before the next attempt after a transient failure: exponential (5 s × 2^attempts, so 10 s after
 * the first attempt, then 20, 40, 80, 160 s) capped at 5 minutes, with "equal jitter" (a random point in
 * the upper half of the window) so jobs that failed together do not come back together.
 */
export const BACKOFF_BASE_SECONDS = 5;
export const BACKOFF_MAX_SECONDS = 300;

export const backoffSeconds = (attempts: number, random: () => number = Math.random): number => {
  const window = Math.min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempts));
  return Math.max(1, Math.min(BACKOFF_MAX_SECONDS, Math.round(window / 2 + (random() * window) / 2)));
};
