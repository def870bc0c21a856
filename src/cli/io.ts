/** What a CLI verb may touch, injected so that tests run verbs in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

/** A usage or input error: printed as one clear line, exit code 2. */
export class UsageError extends Error {}
