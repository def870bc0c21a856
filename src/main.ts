import { runAndExit } from './cli/process.js';

// `npm start`: the service, i.e. `campus-sts serve [--config FILE]`.
await runAndExit(['serve', ...process.argv.slice(2)]);
