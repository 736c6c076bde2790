/**
 * What `validate` can find in a line, and a tally of each kind with its line numbers (the first few
 * kept, all counted). Error kinds are the cookbook's ("Data preparation and analysis for chat model
 * fine-tuning") plus what the cookbook cannot meet because it loads a parsed list: lines that are
 * not JSON or too long, and `weight`, which OpenAI's format added later.
 */

export const ERROR_KINDS = {
  invalid_json: 'not valid JSON',
  line_too_long: 'line too long to read',
  data_type: 'not a JSON object, or a message that is not one',
  missing_messages_list: 'no "messages" list, or an empty one',
  message_missing_key: 'a message without "role" or "content"',
  message_unrecognized_key: 'a message with a key other than role, content, name, function_call, weight',
  unrecognized_role: 'a role other than system, user, assistant, tool, function',
  missing_content: 'a message whose content is not a non-empty string, nor an empty one beside a function_call',
  example_missing_assistant_message: 'no assistant message',
  invalid_weight: '"weight" not 0 or 1, or on a message that is not the assistant\'s',
} as const;

export const WARNING_KINDS = {
  blank_line: 'blank line, skipped',
  no_user_message: 'no user message',
  ends_on_user: 'ends on a user message: nothing after the last assistant message is trained',
  invalid_name: '"name" not 1 to 64 of a-z, A-Z, 0-9, _ and -',
  over_token_limit: 'more tokens than the limit: the trainer truncates the example',
  too_few_examples: 'fewer than 10 examples: OpenAI refuses such a training file',
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;
export type WarningKind = keyof typeof WARNING_KINDS;

/** One kind found: how many lines have it, the first of them (and what each says, when it says more). */
export interface IssueSummary {
  kind: string;
  description: string;
  /** Lines (examples) with this kind; a line counts once per kind however many of its messages have it. */
  count: number;
  /** The first {@link LINES_KEPT} line numbers, ascending. */
  lines: number[];
  /** Beside `lines`, for the kinds that say more (the JSON error, the token count). */
  details?: string[];
}

export const LINES_KEPT = 10;

/** Counts per kind and the first lines of each, in constant memory. */
export class IssueTally<K extends string> {
  readonly #found = new Map<K, { count: number; lines: number[]; details: string[] }>();
  readonly #descriptions: Readonly<Record<K, string>>;

  constructor(descriptions: Readonly<Record<K, string>>) {
    this.#descriptions = descriptions;
  }

  add(kind: K, lineNumber: number, detail?: string): void {
    let entry = this.#found.get(kind);
    if (!entry) this.#found.set(kind, (entry = { count: 0, lines: [], details: [] }));
    entry.count++;
    if (entry.lines.length < LINES_KEPT) {
      entry.lines.push(lineNumber);
      if (detail !== undefined) entry.details.push(detail);
    }
  }

  get total(): number {
    let n = 0;
    for (const e of this.#found.values()) n += e.count;
    return n;
  }

  /** In the order of the descriptions table (a stable order for reports and tests). */
  summaries(): IssueSummary[] {
    const out: IssueSummary[] = [];
    for (const kind of Object.keys(this.#descriptions) as K[]) {
      const e = this.#found.get(kind);
      if (!e) continue;
      const summary: IssueSummary = { kind, description: this.#descriptions[kind], count: e.count, lines: [...e.lines] };
      if (e.details.length) summary.details = [...e.details];
      out.push(summary);
    }
    return out;
  }
}
