/**
 * What every simulated autoscaler implements: at each whole second it may read Kafka and the Deployment and
 * return a new replica count.
 *
 * @module
 */

import type { LagSample } from "../core/types.ts";

/** What a policy can see at one second. */
export interface PolicyView {
  readonly now: number;
  readonly replicas: number;
  readonly partitions: number;
  /** Offsets as a lag reader gets them; undefined when the read fails (broker outage). */
  readonly read: () => LagSample | undefined;
}

/** An autoscaler under test. */
export interface Policy {
  readonly name: string;
  /** A new replica count to write, or undefined to leave the Deployment alone. */
  step(view: PolicyView): number | undefined;
}
