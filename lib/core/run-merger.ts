/**
 * Run-merger: consecutive messages of one sender become one turn, joined with a delimiter
 * (LangChain's merge_chat_runs), optionally only while the silence stays under a gap.
 *
 * LangChain strips the accumulated text at every merge: `(prev + "\n\n" + cur).strip()`. Redoing
 * that on an ever longer string is quadratic, so the text keeps the invariant that, once merged, it
 * is stripped (empty, or starting and ending with a non-space); then one merge only needs to look at
 * the new part. The result is the same string.
 */
import { pythonRstrip, pythonStrip } from '../text/python-strip.js';
import { sameSegment, type Message, type Turn } from '../types.js';
import type { Stage } from './stage.js';
import { OptionError } from '../errors.js';

export interface RunMergerOptions {
  /** Merge runs at all (false: one turn per message). Default true. */
  merge?: boolean;
  /** Between merged texts. Default "\n\n". */
  delimiter?: string;
  /** Strip surrounding white space (Python's rules) from `always` every turn (default), or only from `merge`d ones (LangChain). */
  strip?: 'always' | 'merge';
  /** Do not merge across a silence longer than this (ms). Default: no limit. */
  maxGapMs?: number;
}

export function normalizeRunMergerOptions(options: RunMergerOptions = {}): Required<Readonly<RunMergerOptions>> {
  const maxGapMs = options.maxGapMs ?? Infinity;
  if (!(maxGapMs > 0)) throw new OptionError('maxGapMs', `must be a number > 0`, maxGapMs);
  const strip = options.strip ?? 'always';
  if (strip !== 'always' && strip !== 'merge') throw new OptionError('strip', `must be "always" or "merge"`, strip);
  return Object.freeze({ merge: options.merge ?? true, delimiter: options.delimiter ?? '\n\n', strip, maxGapMs });
}

export function createRunMerger(options?: RunMergerOptions): Stage<Message[], Turn> {
  return new RunMerger(normalizeRunMergerOptions(options));
}

/**
 * A class, not closures: see "one optimization for every job" in lib/core/stage.ts. The run being
 * merged lives in fields: the turn is the only allocation of a run of one message (most of them).
 */
class RunMerger implements Stage<Message[], Turn> {
  #turn: Turn | null = null;
  /** The run's text; merged, a concatenation that V8 keeps unflattened until the text is read. */
  #text = '';
  /** The text so far is stripped already (true after any merge, or from the start with `always`). */
  #stripped = false;
  constructor(readonly options: Required<Readonly<RunMergerOptions>>) {}

  push(batch: Message[]): Turn[] {
    const { merge, strip, maxGapMs } = this.options;
    const out: Turn[] = [];
    for (const m of batch) {
      const t = this.#turn;
      if (merge && t && t.sender === m.sender && sameSegment(t, m) && m.timestampMs - t.lastTimestampMs <= maxGapMs) {
        this.#append(strip === 'always' ? pythonStrip(m.text ?? '') : (m.text ?? ''));
        t.lastTimestampMs = m.timestampMs;
        ++t.count;
        continue;
      }
      if (t) out.push(this.#finish(t));
      this.#start(m);
    }
    return out;
  }

  flush(): Turn[] {
    const last = this.#turn;
    return last ? [this.#finish(last)] : [];
  }

  #start(m: Message): void {
    const always = this.options.strip === 'always';
    this.#text = always ? pythonStrip(m.text ?? '') : (m.text ?? '');
    this.#stripped = always;
    this.#turn = {
      thread: m.thread, session: m.session, sender: m.sender, text: '',
      firstTimestampMs: m.timestampMs, lastTimestampMs: m.timestampMs, count: 1,
    };
  }

  /**
   * text := strip(text + delimiter + more), looking only at the new part where it can. Stripped
   * and not empty, the text can only gain a tail: delimiter + rstrip(more) when `more` holds a
   * non-space, else rstrip(delimiter). So the new part is never concatenated and then scanned
   * (that made a flat copy of it), and the text is flattened once, when it is written.
   */
  #append(more: string): void {
    const { delimiter } = this.options;
    if (!this.#stripped) {
      this.#text = pythonStrip(this.#text + delimiter + more);
      this.#stripped = true;
      return;
    }
    if (this.#text === '') {
      this.#text = pythonStrip(delimiter + more);
      return;
    }
    const tail = pythonRstrip(more);
    if (tail !== '') this.#text = this.#text + delimiter + tail;
    else this.#text += pythonRstrip(delimiter);
  }

  #finish(t: Turn): Turn {
    t.text = this.#text;
    this.#text = '';
    this.#turn = null;
    return t;
  }
}
