/** Prefixed random ids: the prefix tells a human what an id names, the rest is a UUID v4 without dashes. */
export type IdPrefix =
  | 'org'
  | 'usr'
  | 'mem'
  | 'ses'
  | 'rtk'
  | 'key'
  | 'inv'
  | 'prt'
  | 'req'
  | 'job'
  | 'mfa'
  | 'tpl'
  | 'doc'
  | 'ver'
  | 'img'
  | 'evt'
  | 'kbd'
  | 'chk'
  | 'kbq'
  | 'dev'
  | 'eml'
  | 'bot'
  | 'cnv'
  | 'msg'
  // Token wallet: reservations, ledger entries, usage events.
  | 'rsv'
  | 'tle'
  | 'use'
  // Outgoing webhooks and notifications.
  | 'whk'
  | 'whd'
  | 'ntf'
  // Booklets.
  | 'upl'
  | 'cst'
  | 'bok'
  | 'bpg'
  | 'bpc'
  | 'fil'
  | 'att'
  // Workflows, executions, agent runs, the AI requests they make.
  | 'wfl'
  | 'wfv'
  | 'wfs'
  | 'exe'
  | 'exs'
  | 'agr'
  | 'air'
  // Summaries and their templates.
  | 'smy'
  | 'smt'
  // Integrations, their selected sources, the pages imported from them and their sync runs.
  | 'itg'
  | 'its'
  | 'itp'
  | 'isy'
  // Single sign-on: attempts (states), linked identities, organization domains.
  | 'sst'
  | 'ssi'
  | 'sdm';

export const newId = (prefix: IdPrefix): string => `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** An incoming X-Request-Id is echoed only when it is safe to put in logs and headers. */
export const isValidRequestId = (value: string | null | undefined): value is string =>
  typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
