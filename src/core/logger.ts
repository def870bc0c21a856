import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs (pino). Call sites log chosen fields only; the redact list is a second line of defence
 * for anything secret that might still be passed by mistake.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'campus-sts' },
      redact: {
        paths: ['authorization', '*.authorization', 'client_secret', '*.client_secret', 'token', '*.token', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'SAMLResponse', '*.SAMLResponse', 'code', '*.code'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
