/**
 * The core of `fbstream validate`: lines in, one report out, no I/O. Each line is parsed and checked
 * (lib/validate/checks.ts), its tokens counted as the cookbook counts them, and forgotten: what is
 * kept is a tally per kind and 4 bytes per example.
 */
import { countExampleTokens, type EncodingName, type TokenEncoding } from '../tokens.js';
import { checkExample } from './checks.js';
import { ERROR_KINDS, IssueTally, WARNING_KINDS, type ErrorKind, type IssueSummary, type WarningKind } from './issues.js';
import { defaultEpochs, TokenCounts, type TokenDistribution } from './token-stats.js';

export interface ValidatorOptions {
  /** Counts the tokens (from `loadEncoding`). */
  encoding: TokenEncoding;
  /** Tokens per example; null: no limit to check against (and billed tokens are not capped). */
  limit: number | null;
}

export interface ValidationResult {
  /** Whether no error was found (warnings allowed). */
  valid: boolean;
  /** Lines read, blank ones included. */
  lines: number;
  /** Lines that hold a messages list: the examples counted. */
  examples: number;
  errors: IssueSummary[];
  warnings: IssueSummary[];
  encoding: EncodingName;
  limit: number | null;
  /** Tokens per example; null when there is no example. */
  tokens: TokenDistribution | null;
  /** Examples over `limit` (0 without a limit). */
  overLimit: number;
  /** OpenAI's default epochs for this many examples. */
  epochs: number;
  /** ≈ epochs × Σ min(limit, tokens). */
  billedTokens: number;
}

export interface Validator {
  /** One line of the file (without its line ending), numbered from 1. */
  push(line: string, lineNumber: number): void;
  /** A line too long to be read: an error, its bytes never seen. */
  pushTooLong(lineNumber: number, bytes: number): void;
  result(): ValidationResult;
}

/** OpenAI's minimum number of training examples. */
export const MIN_EXAMPLES = 10;

export function createValidator(options: ValidatorOptions): Validator {
  const { encoding, limit } = options;
  const errors = new IssueTally<ErrorKind>(ERROR_KINDS);
  const warnings = new IssueTally<WarningKind>(WARNING_KINDS);
  const counts = new TokenCounts(limit);
  let lines = 0;

  return {
    push(line, lineNumber) {
      lines = Math.max(lines, lineNumber);
      if (line.trim() === '') {
        warnings.add('blank_line', lineNumber);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        errors.add('invalid_json', lineNumber, (err as Error).message);
        return;
      }
      const check = checkExample(value);
      for (const kind of check.errors) errors.add(kind, lineNumber);
      for (const kind of check.warnings) warnings.add(kind, lineNumber);
      if (check.messages === null) return;
      const tokens = countExampleTokens(check.messages, encoding);
      counts.add(tokens);
      if (limit !== null && tokens > limit) warnings.add('over_token_limit', lineNumber, `${tokens} tokens`);
    },
    pushTooLong(lineNumber, bytes) {
      lines = Math.max(lines, lineNumber);
      errors.add('line_too_long', lineNumber, `${bytes} bytes`);
    },
    result() {
      const epochs = defaultEpochs(counts.examples);
      const warningList = warnings.summaries();
      // about the whole file, so at no line (last in WARNING_KINDS, so last here too)
      if (counts.examples < MIN_EXAMPLES) warningList.push({ kind: 'too_few_examples', description: WARNING_KINDS.too_few_examples, count: 1, lines: [] });
      return {
        valid: errors.total === 0,
        lines,
        examples: counts.examples,
        errors: errors.summaries(),
        warnings: warningList,
        encoding: encoding.name,
        limit,
        tokens: counts.distribution(),
        overLimit: counts.overLimit,
        epochs,
        billedTokens: counts.billedTokens(epochs),
      };
    },
  };
}
