import type { Knobs, ServerChild } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';

/** In rotation order; a tuned run next to its untuned one, so both see the same moment of the machine. */
export const SCENARIO_NAMES = [
  'floor',
  'floor-tuned',
  'peer',
  'cc',
  'exchange',
  'exchange-tuned',
  'exchange-durable',
  'exchange-pg',
  'exchange-pg-lb',
  'exchange-pg-2',
  'launch',
  'saml-raw',
  'proxy',
  'direct',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Round {
  /** "warm-up" or "round N". */
  label: string;
  measured: boolean;
  durationSeconds: number;
}

/** What one round sends: the harness adds connections and duration. */
export interface RoundLoad {
  url: string;
  request: HttpRequest | { next(): HttpRequest };
  expectStatus: number;
  /** For single-use pools: never send more requests than there are. */
  amount?: number;
  /** Overrides the run's connection count (the proxy's latency scenarios use one). */
  connections?: number;
}

/** One row of the table: a server in its own child, and what to send it each round. */
export interface Scenario {
  name: ScenarioName;
  /** One line for the table: what runs and what each request does. */
  description: string;
  start(): Promise<void>;
  /**
   * The children that serve the load, the one to profile first: their status counts, summed (two instances
   * behind a balancer), are checked against the client's after each round.
   */
  servers(): ServerChild[];
  /** Prepares one round (single-use data is made here, outside the measured time) and checks one request. */
  load(round: Round): Promise<RoundLoad>;
  /** Sees each round's throughput (to size the next pool). */
  observe?(round: Round, okPerSecond: number): void;
  stop(): Promise<void>;
}

export interface ScenarioContext {
  runDir: string;
  connections: number;
  /** What floor-tuned and exchange-tuned set. */
  knobs: Knobs;
  log(message: string): void;
}
