import { runAndExit } from './process.js';

/** Process entry of the `campus-sts` command. */
await runAndExit(process.argv.slice(2));
