/**
 * Structured JSON logs. Callers pass fields, never whole requests: secrets (tokens, passwords, keys)
 * must not reach a log line, so known sensitive field names are redacted as a second line of defence.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

const SENSITIVE = /pass(word)?|secret|token|authorization|api[_-]?key|cookie|^code$|recovery/i;

const redact = (fields: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SENSITIVE.test(key) ? '[redacted]' : value;
  }
  return out;
};

const write = (level: Level, message: string, fields: Record<string, unknown> = {}): void => {
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...redact(fields) });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

export const logger = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};

/** The error's class and message for logs, without stack traces of user input. */
export const describeError = (err: unknown): Record<string, unknown> =>
  err instanceof Error ? { error_name: err.name, error_message: err.message } : { error_message: String(err) };
