/** What a CLI verb may touch, injected so that tests run verbs in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
  /**
   * Resolves once everything given to `out` so far has been written. A verb with long output awaits it between
   * pages, so it never buffers more than a page; rejects with OutputClosed once the reader has gone.
   */
  flush?(): Promise<void>;
}

/** A usage or input error: printed as one clear line, exit code 2. */
export class UsageError extends Error {}

/** Standard output's reader went away (a broken pipe): the output is incomplete, so the command failed. */
export class OutputClosed extends Error {}

/**
 * The process's own streams. Writes to a pipe are asynchronous in Node: `process.exit` right after them drops
 * what is still queued, and a reader that closes early (`| head`) makes the writes fail with EPIPE. So `out`
 * refuses once standard output has failed, and `flush` is awaited before the process exits.
 */
export function processIo(env: NodeJS.ProcessEnv): CliIo & { flush(): Promise<void> } {
  let closed: OutputClosed | undefined;
  const fail = (err: NodeJS.ErrnoException) => {
    closed ??= new OutputClosed(`standard output was closed before everything was written (${err.code ?? err.message})`);
  };
  process.stdout.on('error', fail);
  // A message to a closed standard error has nowhere to go; the exit code still says what happened.
  process.stderr.on('error', () => {});
  const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', (err) => (err && stream === process.stdout && fail(err), resolve())));
  return {
    env,
    out(line) {
      if (closed) throw closed;
      process.stdout.write(`${line}\n`, (err) => err && fail(err));
    },
    err: (line) => void process.stderr.write(`${line}\n`),
    async flush() {
      await Promise.all([drained(process.stdout), drained(process.stderr)]);
      if (closed) throw closed;
    },
  };
}
