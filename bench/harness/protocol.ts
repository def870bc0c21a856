// The IPC protocol between the harness and a server child. Only control messages travel here (ready,
// memory, counters, exit); the load itself goes over TCP on 127.0.0.1 like any client's.

export type ServerKind = 'floor' | 'peer' | 'sts' | 'saml-raw' | 'upstream';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** Responses the server has finished, by status code: the server's side of every count the client makes. */
export type StatusCounts = Record<string, number>;

/** process.cpuUsage() of the child, in µs: every thread of the process (libuv's pool, workers, GC) included. */
export interface CpuSample {
  user: number;
  system: number;
}

export type Command = 'memory' | 'statuses' | 'cpu' | 'profile-start' | 'profile-stop' | 'exit';

/** `file`: where `profile-stop` writes the .cpuprofile. */
export type ParentMessage = { type: 'command'; id: number; command: Command; file?: string };

export type ChildMessage =
  | { type: 'ready'; port: number; info: Record<string, string> }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; value: MemorySample | StatusCounts | CpuSample | null };

/** What every server module returns once it listens. */
export interface BenchServer {
  port: number;
  /** Values the load generator needs (a subject token, a file path); strings only, they cross IPC. */
  info: Record<string, string>;
  close(): Promise<void>;
}
