/**
 * Tokens per example: the distribution, and the cookbook's epochs and billed-token estimate.
 * Every count is kept in a growing Uint32Array (4 bytes an example: 4 MB for a million), so the
 * median and percentiles are exact, not read off a histogram.
 */

export interface TokenDistribution {
  examples: number;
  total: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p5: number;
  p95: number;
}

/** The cookbook's defaults: 3 epochs, moved so that training sees between 100 and 25,000 examples. */
export const TARGET_EPOCHS = 3;
export const MIN_TARGET_EXAMPLES = 100;
export const MAX_TARGET_EXAMPLES = 25_000;
export const MIN_DEFAULT_EPOCHS = 1;
export const MAX_DEFAULT_EPOCHS = 25;

/** The epochs OpenAI picks by default for `n` training examples (0 for none). */
export function defaultEpochs(n: number): number {
  if (n <= 0) return 0;
  if (n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) return Math.min(MAX_DEFAULT_EPOCHS, Math.floor(MIN_TARGET_EXAMPLES / n));
  if (n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) return Math.max(MIN_DEFAULT_EPOCHS, Math.floor(MAX_TARGET_EXAMPLES / n));
  return TARGET_EPOCHS;
}

/** A value at quantile q of sorted values, interpolated linearly (numpy's default, as the cookbook prints). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export class TokenCounts {
  #counts = new Uint32Array(1024);
  #n = 0;
  #total = 0;
  /** Σ min(limit, tokens): the tokens billed per epoch. */
  #billable = 0;
  #overLimit = 0;
  readonly #limit: number | null;

  constructor(limit: number | null) {
    this.#limit = limit;
  }

  add(tokens: number): void {
    if (this.#n === this.#counts.length) {
      const grown = new Uint32Array(this.#counts.length * 2);
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.#counts[this.#n++] = tokens;
    this.#total += tokens;
    this.#billable += this.#limit === null ? tokens : Math.min(this.#limit, tokens);
    if (this.#limit !== null && tokens > this.#limit) this.#overLimit++;
  }

  get examples(): number {
    return this.#n;
  }

  get overLimit(): number {
    return this.#overLimit;
  }

  /** Billed tokens ≈ epochs × Σ min(limit, tokens) (no cap when there is no limit). */
  billedTokens(epochs: number): number {
    return epochs * this.#billable;
  }

  distribution(): TokenDistribution | null {
    const n = this.#n;
    if (n === 0) return null;
    const sorted = this.#counts.slice(0, n).sort();
    return {
      examples: n,
      total: this.#total,
      min: sorted[0]!,
      max: sorted[n - 1]!,
      mean: this.#total / n,
      median: quantile(sorted, 0.5),
      p5: quantile(sorted, 0.05),
      p95: quantile(sorted, 0.95),
    };
  }
}
