import { OutputClosed, processIo } from './io.js';
import { runCli } from './main.js';

/** Runs one `campus-sts` command line in this process and exits once its output is written (see `processIo`). */
export async function runAndExit(argv: string[]): Promise<never> {
  const io = processIo(process.env);
  let code = await runCli(argv, io);
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
}
