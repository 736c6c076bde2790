/**
 * Role mapper: the chosen sender's turns become `assistant`, everyone else's `user` (LangChain's
 * map_ai_messages). In group chats the other speakers can be told apart with `name`.
 */
import type { RoleTurn, ThreadInfo, Turn } from '../types.js';
import type { Stage } from './stage.js';
import { OptionError } from '../errors.js';
import { asciiName, threadNames } from '../text/ascii-name.js';

export interface RoleMapperOptions {
  /** The sender (or spellings of one sender) whose turns become `assistant`. */
  me: string | readonly string[];
  /** Compare names after Unicode NFC normalisation (default true; LangChain compares exactly). */
  normalize?: boolean;
  /** Add `name` to user turns in group chats. Default false. */
  names?: boolean;
  /** Told about every thread seen, for "who was there" when `me` matched nobody. */
  onThread?: (thread: ThreadInfo) => void;
}

export interface RoleMapperStats {
  /** Turns that became `assistant`. */
  assistantTurns: number;
  /** Every turn mapped. */
  turns?: number;
}

/** A predicate for "this sender is me", shared by the role mapper and the pipeline. */
export function meMatcher(me: string | readonly string[], normalize = true): (sender: string) => boolean {
  const list = typeof me === 'string' ? [me] : [...me];
  if (list.length === 0 || list.some((n) => typeof n !== 'string' || n === '')) {
    throw new OptionError('me', `must be a non-empty name`, me);
  }
  const set = new Set(normalize ? list.map((n) => n.normalize('NFC')) : list);
  if (!normalize) return (sender) => set.has(sender);
  // every turn asks: normalise each sender once (a thread has a handful)
  const known = new Map<string, boolean>();
  return (sender) => {
    let mine = known.get(sender);
    if (mine === undefined) {
      mine = set.has(sender) || set.has(sender.normalize('NFC'));
      if (known.size < KNOWN_SENDERS) known.set(sender, mine);
    }
    return mine;
  };
}

const KNOWN_SENDERS = 10_000;

export function createRoleMapper(options: RoleMapperOptions, stats: RoleMapperStats = { assistantTurns: 0 }): Stage<Turn[], RoleTurn> {
  return new RoleMapper(options, stats);
}

/** A class, not closures: see "one optimization for every job" in lib/core/stage.ts. */
class RoleMapper implements Stage<Turn[], RoleTurn> {
  readonly #isMe: (sender: string) => boolean;
  readonly #names: boolean;
  #lastThread: ThreadInfo | null = null;
  #threadNames: Map<string, string> | null = null;
  constructor(
    readonly options: RoleMapperOptions,
    readonly stats: RoleMapperStats,
  ) {
    this.#isMe = meMatcher(options.me, options.normalize ?? true);
    this.#names = options.names ?? false;
  }

  /** The batch itself: each turn is given its role in place. */
  push(batch: Turn[]): RoleTurn[] {
    if (this.stats.turns !== undefined) this.stats.turns += batch.length;
    for (let i = 0; i < batch.length; ++i) {
      const t = batch[i]!;
      if (t.thread !== this.#lastThread) {
        this.#lastThread = t.thread;
        this.#threadNames = null;
        this.options.onThread?.(t.thread);
      }
      const r = t as RoleTurn;
      if (this.#isMe(t.sender)) {
        r.role = 'assistant';
        ++this.stats.assistantTurns;
      } else {
        r.role = 'user';
        if (this.#names && t.thread.isGroup) {
          // OpenAI's `name` must match ^[a-zA-Z0-9_-]{1,64}$: each person's ASCII form, unique in the thread
          this.#threadNames ??= threadNames(t.thread.participants, t.thread.senderCounts?.keys());
          r.name = this.#threadNames.get(t.sender) ?? asciiName(t.sender) ?? 'participant';
        }
      }
    }
    return batch as RoleTurn[];
  }

  flush(): RoleTurn[] {
    return [];
  }
}
