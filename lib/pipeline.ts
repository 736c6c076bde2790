/**
 * createPipeline(options): the stages wired in order, for the CLI and for users.
 *
 *   tokenizer → decoder → filter → order → dedupe → [privacy] → [sessions] → run-merger → role mapper
 *     → windows (the default's reply windows, or LangChain's sliding ones) → serializer (a format)
 *
 * createPipelineCore(options): the same stages (bar the tokenizer) run as one synchronous stage,
 * no streams between them: what the CLI runs (lib/core/chain.ts says why).
 *
 * Presets pick the stage options: `default` (repairs text, joins the parts of a thread, training
 * data: docs/architecture.md#training-data) and `langchain` (LangChain's Facebook Messenger
 * walkthrough, exactly: docs/formats.md#langchain).
 */
import type { Transform } from 'node:stream';
import { createDecoderStream } from './streams/decoder.js';
import { createFilterStream } from './streams/filter.js';
import { createOrderStream } from './streams/order.js';
import { createDedupeStream } from './streams/dedupe.js';
import { createSessionsStream } from './streams/sessions.js';
import { createRunMergerStream } from './streams/run-merger.js';
import { createRoleMapperStream } from './streams/role-mapper.js';
import { createChunkerStream } from './streams/chunker.js';
import { createSerializerStream } from './streams/serializer.js';
import { createTokenizerStream } from './streams/tokenizer.js';
import { createFileSpill, type FileSpillOptions } from './streams/spill-files.js';
import { createChain } from './core/chain.js';
import { createChunker, type ChunkerOptions } from './core/chunker.js';
import { createReplyWindows, type ReplyWindowsOptions } from './core/reply-windows.js';
import { OUTPUT_FORMATS } from './formats/output/index.js';
import { createPrivacyStage, type PrivacyOptions } from './privacy/stage.js';
import { createPrivacyStream } from './streams/privacy.js';
import { createReplyWindowsStream } from './streams/reply-windows.js';
import { tokenCounter } from './tokens.js';
import { kindCountKey, kindCounts, type Counts } from './stats.js';
import { createDecoder, type DecoderOptions } from './core/decoder.js';
import { createDedupe, type DedupeOptions } from './core/dedupe.js';
import { createFilter, type FilterOptions } from './core/filter.js';
import { ALL_KINDS, normalizeStageOptions, type StageOptions, type StageSettings } from './options.js';
import { createOrder, type OrderOptions } from './core/order/order.js';
import { createRoleMapper, type RoleMapperOptions, type RoleMapperStats } from './core/role-mapper.js';
import { createRunMerger, type RunMergerOptions } from './core/run-merger.js';
import { createSerializer, type SerializerOptions, type SerializerStats } from './core/serializer.js';
import { createSessions, type SessionsOptions } from './core/sessions.js';
import { recordsOf, type Stage } from './core/stage.js';
import { Report } from './report.js';
import type { MessageKind, ThreadInfo, TokenChunk } from './types.js';
import { checkMe, isMeFor, meNames } from './me.js';

/** {@link StageOptions} (lib/options.ts) and how the pipeline is fed. */
export interface PipelineOptions extends StageOptions {
  /** Start with a tokenizer (bytes in). False: the pipeline takes token chunks (see tokenizeSources). Default true. */
  tokenizer?: boolean;
  /** Name of the input in errors, with the tokenizer. Default `<input>`. */
  source?: string;
  /**
   * Join consecutive documents with the same thread id into one conversation (the parts of a
   * thread). `all`: every document of the input is one conversation, whatever its id (an export's
   * joined E2EE thread, see lib/export/e2ee-join.ts). Default true; the langchain preset never joins.
   */
  joinParts?: boolean | 'all';
  /** Where skipped and left-out records are counted. Default: a new Report. */
  report?: Report;
}

/** What a pipeline counts as it runs (see {@link pipelineCounts} for the plain-data form). */
export interface PipelineStats extends RoleMapperStats, SerializerStats {
  threads: number;
  turns: number;
  people: Set<string>;
  /** Messages by kind, kept or not. */
  kinds: Record<MessageKind, number>;
  /** Conversations, trained and context replies, tokens (the reply windows' counters). */
  counts: Counts;
}

/** A pipeline's counters as plain data (`--stats`), to sum over threads. */
export function pipelineCounts(stats: PipelineStats): Counts {
  const counts: Counts = { ...stats.counts, turns: stats.turns };
  const kinds = stats.kinds;
  for (const kind in kinds) {
    const n = kinds[kind as MessageKind];
    if (n) counts[kindCountKey(kind as MessageKind)] = n;
  }
  if (stats.withoutReply) counts['withoutReply'] = stats.withoutReply;
  return counts;
}

export interface Pipeline {
  /** Pass to stream.pipeline between a source and a sink. */
  streams: Transform[];
  report: Report;
  stats: PipelineStats;
  /** After the run: throws UnknownSenderError when `me` matched nobody in the data. */
  checkMe(): void;
}

/**
 * The pipeline without streams: one stage (lib/core/chain.ts) that takes token chunks (see
 * tokenizeSources) and returns NDJSON lines, each batch passed through every stage at once: what
 * the CLI runs, for thread files and stdin and for each thread of an export. Drain every output
 * before the next push; call `stage.destroy()` at the end, whatever happened (it removes the sort's
 * temporary files).
 */
export interface PipelineCore extends Omit<Pipeline, 'streams'> {
  stage: Stage<TokenChunk[], string>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { plan, ...rest } = planPipeline(normalizeStageOptions(options), options);
  const streams: Transform[] = [];
  if (options.tokenizer ?? true) {
    const { report } = rest;
    streams.push(createTokenizerStream({ source: options.source ?? '<input>', onInvalidUtf8: (n, source) => report.note('invalid UTF-8 sequences replaced', { source }, n) }));
  }
  streams.push(createDecoderStream(plan.decoder), createFilterStream(plan.filter), createOrderStream(plan.order));
  if (plan.dedupe) streams.push(createDedupeStream(plan.dedupe));
  if (plan.privacy) streams.push(createPrivacyStream(plan.privacy));
  if (plan.sessions) streams.push(createSessionsStream(plan.sessions));
  streams.push(
    createRunMergerStream(plan.runMerger),
    createRoleMapperStream(plan.roleMapper, rest.stats),
    plan.windows.kind === 'replies' ? createReplyWindowsStream(plan.windows.options) : createChunkerStream(plan.windows.options),
    createSerializerStream(plan.serializer),
  );
  return { streams, ...rest };
}

export function createPipelineCore(options: Omit<PipelineOptions, 'tokenizer' | 'source'>): PipelineCore {
  return pipelineCoreOf(normalizeStageOptions(options), options);
}

/**
 * {@link createPipelineCore} for options normalized already (`normalizeStageOptions`): an export
 * makes one pipeline per thread, thousands of them, from the same settings, and normalizing them
 * again each time was a good part of a short thread's cost.
 */
export function createPipelineCoreFor(settings: StageSettings, feed: Pick<PipelineOptions, 'joinParts' | 'report'> = {}): PipelineCore {
  return pipelineCoreOf(settings, feed);
}

function pipelineCoreOf(settings: StageSettings, feed: Pick<PipelineOptions, 'joinParts' | 'report'>): PipelineCore {
  const { plan, ...rest } = planPipeline(settings, feed);
  const stages: Stage<never, unknown>[] = [
    createDecoder(plan.decoder),
    createFilter(plan.filter),
    createOrder({ ...plan.order, spill: createFileSpill(plan.order.dir === undefined ? {} : { dir: plan.order.dir }) }),
  ];
  if (plan.dedupe) stages.push(createDedupe(plan.dedupe));
  if (plan.privacy) stages.push(createPrivacyStage(plan.privacy));
  if (plan.sessions) stages.push(createSessions(plan.sessions));
  const windows = plan.windows.kind === 'replies' ? createReplyWindows(plan.windows.options) : createChunker(plan.windows.options);
  stages.push(createRunMerger(plan.runMerger), createRoleMapper(plan.roleMapper, rest.stats), windows, createSerializer(plan.serializer));
  return { stage: createChain(stages), ...rest };
}

/**
 * The text a pipeline core makes of `chunks`, string by string (the serializer's blocks of about
 * 16 Ki characters), computed as it is read: `Readable.from(textFrom(…))` is a byte source with
 * backpressure. Call `stage.destroy()` once it is done or abandoned.
 */
export async function* textFrom(stage: Stage<TokenChunk[], string>, chunks: AsyncIterable<TokenChunk[]>): AsyncGenerator<string> {
  for await (const chunk of chunks) yield* recordsOf(stage.push(chunk));
  yield* recordsOf(stage.flush());
}

/** The options of each stage (null: the stage is left out), with what the stages report into. */
interface StagePlan {
  decoder: DecoderOptions;
  filter: FilterOptions;
  order: OrderOptions & FileSpillOptions;
  dedupe: DedupeOptions | null;
  privacy: PrivacyOptions | null;
  sessions: SessionsOptions | null;
  runMerger: RunMergerOptions;
  roleMapper: RoleMapperOptions;
  /** The defaults' reply windows, or LangChain's sliding windows. */
  windows: { kind: 'replies'; options: ReplyWindowsOptions } | { kind: 'sliding'; options: ChunkerOptions };
  serializer: SerializerOptions;
}

/**
 * The defaults' windows: each reply taught once with its prompt, within the model's token limit.
 * The `text` format is a transcript for base models: whole conversations, cut only by the limit.
 * Without the report and the counters, which are each pipeline's.
 */
function replyWindows(o: StageSettings): Omit<ReplyWindowsOptions, 'report' | 'counts' | 'countAll'> {
  const spec = OUTPUT_FORMATS[o.format];
  const transcript = o.format === 'text';
  const counted = o.maxTokens > 0 || o.windowTokens !== undefined || o.statsTokens === true;
  return {
    window: transcript && o.maxTokens > 0 ? Number.MAX_SAFE_INTEGER : o.window,
    overlap: transcript ? 0 : o.overlap,
    weights: spec.weights,
    stamps: spec.stamps,
    ...(o.system !== undefined && { system: o.system }),
    ...(o.maxTokens > 0 && { maxTokens: o.maxTokens }),
    ...(o.windowTokens !== undefined && { windowTokens: o.windowTokens }),
    ...(counted && { countTokens: tokenCounter(o.encoding) }),
  };
}

/**
 * What a plan takes from the settings alone, made once per settings object: an export makes a
 * pipeline per thread from the same settings, and only the report and the counters are each
 * thread's. Frozen: the stages share these.
 */
interface SettingsPlan {
  lc: boolean;
  me: ReturnType<typeof meNames>;
  isMe: ReturnType<typeof isMeFor>;
  filter: Readonly<Pick<FilterOptions, 'kinds' | 'text' | 'sinceMs' | 'untilMs'>>;
  sessions: SessionsOptions | null;
  runMerger: RunMergerOptions;
  /** The sliding windows' options (langchain), or the reply windows' but for their report and counters. */
  windows: { kind: 'replies'; options: Omit<ReplyWindowsOptions, 'report' | 'counts' | 'countAll'> } | { kind: 'sliding'; options: ChunkerOptions };
}

const settingsPlans = new WeakMap<StageSettings, SettingsPlan>();
function settingsPlanOf(options: StageSettings): SettingsPlan {
  let got = settingsPlans.get(options);
  if (got) return got;
  const lc = options.preset === 'langchain';
  // LangChain compares the name as written in the file, mojibake and all; accept the real name too
  const me = meNames(options.me, options.preset);
  const isMe = isMeFor(options.me, options.preset);
  got = Object.freeze({
    lc,
    me,
    isMe,
    filter: Object.freeze({
      ...(lc ? { kinds: ALL_KINDS, text: 'present' as const } : { kinds: options.kinds }),
      ...(options.sinceMs !== undefined && { sinceMs: options.sinceMs }),
      ...(options.untilMs !== undefined && { untilMs: options.untilMs }),
    }),
    sessions: options.sessionGapMs > 0 && !lc ? Object.freeze({ gapMs: options.sessionGapMs }) : null,
    runMerger: Object.freeze(lc ? { strip: 'merge' as const } : { merge: options.merge, ...(options.mergeGapMs > 0 && { maxGapMs: options.mergeGapMs }) }),
    windows: lc
      ? {
          kind: 'sliding' as const,
          options: Object.freeze({
            window: options.window,
            overlap: options.overlap,
            requireAssistant: 'session' as const,
            sessionHasAssistant: (t: ThreadInfo) => (t.senderCounts ? [...t.senderCounts.keys()].some(isMe) : undefined),
            trimTrailingUser: false,
            short: 'drop' as const,
            tail: 'drop' as const,
          }),
        }
      : { kind: 'replies' as const, options: Object.freeze(replyWindows(options)) },
  });
  settingsPlans.set(options, got);
  return got;
}

function planPipeline(options: StageSettings, feed: Pick<PipelineOptions, 'joinParts' | 'report'>): Omit<Pipeline, 'streams'> & { plan: StagePlan } {
  const { lc, me, filter, sessions, runMerger, windows } = settingsPlanOf(options);
  const report = feed.report ?? new Report();
  const stats: PipelineStats = { assistantTurns: 0, threads: 0, examples: 0, turns: 0, people: new Set<string>(), kinds: kindCounts(), counts: {} };
  // who is in the data, even in threads whose messages are all left out (only photos, say)
  const notePeople = (t: ThreadInfo) => {
    for (const p of t.participants) stats.people.add(p);
    if (t.senderCounts) for (const s of t.senderCounts.keys()) stats.people.add(s);
  };
  const onThread = (t: ThreadInfo) => {
    ++stats.threads;
    notePeople(t);
  };

  const plan: StagePlan = {
    decoder: { repair: !lc, e2ee: !lc, report },
    filter: { ...filter, ...(!lc && { report }), onThread: notePeople, kindCounts: stats.kinds },
    order: {
      ties: lc ? 'file' : 'auto',
      joinParts: lc ? false : (feed.joinParts ?? true),
      memoryBytes: options.memoryBytes,
      ...(options.tmpDir !== undefined && { dir: options.tmpDir }),
    },
    // LangChain keeps copies; we emit a message found twice (overlapping exports) once
    dedupe: lc ? null : { report },
    privacy: lc || (options.redact.length === 0 && options.salt === undefined) ? null : {
      ...(options.redact.length > 0 && { redact: { kinds: options.redact } }),
      ...(options.salt !== undefined && { pseudonymize: { salt: options.salt, keep: me } }),
      report,
    },
    sessions,
    runMerger,
    roleMapper: { me, normalize: !lc, names: !lc && options.names, onThread },
    windows: windows.kind === 'sliding' ? windows : { kind: 'replies', options: { ...windows.options, report, counts: stats.counts, countAll: options.statsTokens === true } },
    serializer: { format: options.format, stats, countWithoutReply: lc },
  };

  return {
    plan,
    report,
    stats,
    checkMe() {
      if (stats.assistantTurns === 0) checkMe(options.me, [...stats.people], options.preset);
    },
  };
}
