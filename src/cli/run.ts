import { runCli } from './main.js';

/** Process entry of the `campus-sts` command. */
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
process.exit(code);
