// Structured JSON logs (pino) to stdout. Secret values, tokens and the
// request's `secrets` are never passed to the logger; the redact list is a
// second line of defence for fields that must never appear.
import { pino, type Logger } from 'pino';

export type { Logger };



/** JSON lines to stdout (1), or to stderr (2) for subcommands whose stdout is their output. */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino({
    level,
    base: { provider: 'aws' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['secrets', 'token', 'tokens', '*.token', 'secretAccessKey', 'sessionToken', '*.secretAccessKey', '*.sessionToken', 'contents', 'value'],
      censor: '[redacted]',
    },
  }, pino.destination({ fd: destination, sync: true }));
}
