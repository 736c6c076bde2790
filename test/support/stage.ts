/** Helpers for core tests: drive a pure stage with arrays, collect everything it releases. */
import type { Output, Stage } from '../../lib/core/stage.js';

export function drain<T>(out: Output<T>): T[] {
  if (Array.isArray(out)) return out.slice();
  const all: T[] = [];
  for (const batch of out) all.push(...batch);
  return all;
}

/** Push each input chunk, then flush; all outputs in order. */
export function runStage<In, Out>(stage: Stage<In, Out>, inputs: In[]): Out[] {
  const all: Out[] = [];
  for (const input of inputs) all.push(...drain(stage.push(input)));
  all.push(...drain(stage.flush()));
  return all;
}
