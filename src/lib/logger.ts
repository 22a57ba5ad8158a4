/**
 * The process logger (pino). Secrets are redacted by path wherever they could appear: auth headers,
 * passwords, keys, connector secrets — so no log line ever carries a credential.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'authorization',
  '*.password', '*.secret_key', '*.secretKey', '*.secretAccessKey', '*.api_key', '*.token', 'password', 'secret_key', 'token',
  // A webhook callback's secret (plain in a request body, sealed in its row).
  '*.secret', 'secret', '*.secret_sealed',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[Redacted]' }, base: { pid: process.pid } }, destination);
}
