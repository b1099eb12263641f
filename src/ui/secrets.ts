// Kept only so src/cli/run-job.ts still loads: delete once it imports ../redact.js (the one redaction module).
export { REDACTED, MIN_SECRET_LENGTH, redactSecrets, secretRedactor, secretVariants } from '../redact.js';
