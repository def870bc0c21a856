import { OutputClosed, processIo } from './io.js';
import { runCli } from './main.js';

/** Process entry of the `campus-sts` command. Exits only once its output is written (see `processIo`). */
const io = processIo(process.env);
let code = await runCli(process.argv.slice(2), io);
try {
  await io.flush();
} catch (err) {
  if (!(err instanceof OutputClosed)) throw err;
  // runCli has already said so when the verb itself ran into the closed pipe.
  if (code === 0) io.err(`campus-sts: ${err.message}`);
  code = code || 1;
  await io.flush().catch(() => {});
}
process.exit(code);
