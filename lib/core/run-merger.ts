/**
 * Run-merger: consecutive messages of one sender become one turn, joined with a delimiter
 * (LangChain's merge_chat_runs), optionally only while the silence stays under a gap.
 *
 * LangChain strips the accumulated text at every merge: `(prev + "\n\n" + cur).strip()`. Redoing
 * that on an ever longer string is quadratic, so the text is kept as parts with the invariant that,
 * once merged, it is stripped (empty, or starting and ending with a non-space); then one merge only
 * needs to look at the new part. The result is the same string.
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

interface Run {
  turn: Turn;
  parts: string[];
  /** The parts joined are stripped already (true after any merge, or from the start with `always`). */
  stripped: boolean;
}

export function createRunMerger(options?: RunMergerOptions): Stage<Message[], Turn> {
  return new RunMerger(normalizeRunMergerOptions(options));
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class RunMerger implements Stage<Message[], Turn> {
  #run: Run | null = null;
  constructor(readonly options: Required<Readonly<RunMergerOptions>>) {}

  push(batch: Message[]): Turn[] {
    const { merge, strip, maxGapMs } = this.options;
    const out: Turn[] = [];
    for (const m of batch) {
      const run = this.#run;
      const t = run?.turn;
      if (merge && t && t.sender === m.sender && sameSegment(t, m) && m.timestampMs - t.lastTimestampMs <= maxGapMs) {
        this.#append(run!, strip === 'always' ? pythonStrip(m.text ?? '') : (m.text ?? ''));
        t.lastTimestampMs = m.timestampMs;
        ++t.count;
        continue;
      }
      if (run) out.push(finish(run));
      this.#run = this.#start(m);
    }
    return out;
  }

  flush(): Turn[] {
    const last = this.#run;
    this.#run = null;
    return last ? [finish(last)] : [];
  }

  #start(m: Message): Run {
    const always = this.options.strip === 'always';
    const text = always ? pythonStrip(m.text ?? '') : (m.text ?? '');
    const turn: Turn = {
      thread: m.thread, session: m.session, sender: m.sender, text: '',
      firstTimestampMs: m.timestampMs, lastTimestampMs: m.timestampMs, count: 1,
    };
    return { turn, parts: [text], stripped: always };
  }

  /** parts := strip(parts + delimiter + text), looking only at the new text where it can. */
  #append(r: Run, text: string): void {
    const { delimiter } = this.options;
    if (!r.stripped) {
      r.parts = [pythonStrip(r.parts.join('') + delimiter + text)];
      r.stripped = true;
      return;
    }
    const empty = r.parts.length === 1 && r.parts[0] === '';
    if (empty) {
      r.parts = [pythonStrip(delimiter + text)];
      return;
    }
    // non-empty and stripped: only the tail can lose white space
    const tail = pythonRstrip(delimiter + text);
    if (tail) r.parts.push(tail);
  }
}

function finish(r: Run): Turn {
  r.turn.text = r.parts.length === 1 ? r.parts[0]! : r.parts.join('');
  return r.turn;
}
