/**
 * A small, faithful TypeScript port of LangChain's Facebook Messenger walkthrough (docs/formats.md#langchain),
 * written from the rules, to check the `langchain` preset against. Nothing here comes from lib/:
 * the reference must not share a bug with what it checks.
 *
 *   SingleFileFacebookMessengerChatLoader / FolderFacebookMessengerChatLoader   (loadFile, loadFolder)
 *   -> merge_chat_runs                                                           (mergeChatRuns)
 *   -> map_ai_messages(sessions, sender)                                         (mapAiMessages)
 *   -> convert_messages_for_finetuning                                           (convertForFinetuning)
 *   -> the notebook's chunking                                                   (chunk)
 *
 * It works on parsed JSON (JSON.parse standing in for Python's json.load). Where LangChain would
 * raise (no "messages", a message with content but no sender_name, non-string content…) the port
 * throws too: such inputs have no LangChain output to compare with, and the generators avoid them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A HumanMessage / AIMessage as far as the walkthrough cares: content and additional_kwargs["sender"]. */
export interface LcMessage {
  type: 'human' | 'ai';
  content: string;
  /** additional_kwargs["sender"]: m["sender_name"] exactly as json.load gave it (any JSON value). */
  sender: unknown;
}

/** A ChatSession: ChatSession(messages=[...]). */
export type LcSession = LcMessage[];

/** What convert_message_to_dict gives for these messages. */
export interface OpenAiMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** One JSONL line of the notebook: {"messages": conv[i:i+window]}. */
export interface ExampleLine {
  messages: OpenAiMessage[];
}

// ---------------------------------------------------------------------------------------------
// Python's str.strip() (no argument)

/**
 * str.isspace() for one UTF-16 unit (every such char is in the BMP): \t \n \v \f \r, \x1c-\x1f
 * (file/group/record/unit separators), space, \x85, \xa0, \u1680, \u2000-\u200a, \u2028, \u2029,
 * \u202f, \u205f, \u3000. NOT \ufeff (which JS's trim() strips), and \x1c-\x1f, \x85 are stripped
 * although JS's trim() keeps them.
 */
export function isPythonWhitespace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPythonWhitespace(s[start]!)) start++;
  while (end > start && isPythonWhitespace(s[end - 1]!)) end--;
  return s.slice(start, end);
}

// ---------------------------------------------------------------------------------------------
// Loaders

/**
 * SingleFileFacebookMessengerChatLoader.lazy_load on `data = json.load(f)`:
 * - sorted(data["messages"], key=lambda x: x["timestamp_ms"]): ascending and STABLE (equal
 *   timestamps keep file order). Array.prototype.sort is stable too.
 * - `if "content" not in m: continue`: a message is skipped only when it has no "content" key;
 *   content "" is kept, and is_unsent, type, photos, reactions… are never looked at.
 * - HumanMessage(content=m["content"], additional_kwargs={"sender": m["sender_name"]}): every
 *   message is a HumanMessage with its raw sender; no mojibake repair (strings as parsed).
 * - one ChatSession per file.
 */
export function loadFile(data: unknown): LcSession {
  if (!isObject(data) || !Array.isArray(data['messages'])) throw new Error('LangChain raises: data["messages"] is not a list');
  const messages = data['messages'] as unknown[];
  for (const m of messages) {
    // the sort key x["timestamp_ms"] is read for every message, content or not
    if (!isObject(m) || typeof m['timestamp_ms'] !== 'number') throw new Error('LangChain raises: a message without a numeric timestamp_ms');
  }
  const sorted = [...(messages as Record<string, unknown>[])].sort((a, b) => (a['timestamp_ms'] as number) - (b['timestamp_ms'] as number));
  const session: LcSession = [];
  for (const m of sorted) {
    if (!Object.hasOwn(m, 'content')) continue; // "content" not in m
    // merge_chat_runs raises (and HumanMessage refuses) on non-string content; m["sender_name"] raises KeyError
    if (typeof m['content'] !== 'string') throw new Error('LangChain raises: content is not a string');
    if (!Object.hasOwn(m, 'sender_name')) throw new Error('LangChain raises: KeyError sender_name');
    session.push({ type: 'human', content: m['content'], sender: m['sender_name'] });
  }
  return session;
}

/** pathlib's PurePath.suffix: from the last dot, unless the dot starts the name or ends it. */
export function pythonSuffix(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 ? name.slice(i) : '';
}

/**
 * FolderFacebookMessengerChatLoader.lazy_load:
 *   for _dir in (root / "inbox").iterdir():
 *       if _dir.is_dir():
 *           for _file in _dir.iterdir():
 *               if _file.suffix.lower() == ".json": yield from SingleFile…(_file).lazy_load()
 * - only <root>/inbox is read (archived_threads, filtered_threads… never);
 * - only files exactly one level below a thread folder (files directly in inbox/ are not folders;
 *   thread/photos/x.json is one level too deep: iterdir is not recursive);
 * - the suffix test is case-insensitive (.JSON counts), and `.json` alone is no suffix;
 * - is_dir() and open() follow symbolic links (statSync does too);
 * - EACH FILE is its own session: message_1.json and message_2.json of one thread are never joined.
 * iterdir order is the file system's; callers compare multisets, so order does not matter here.
 */
export function loadFolder(root: string): LcSession[] {
  const inbox = join(root, 'inbox');
  const sessions: LcSession[] = [];
  for (const dir of readdirSync(inbox)) {
    const dirPath = join(inbox, dir);
    if (!statSync(dirPath).isDirectory()) continue;
    for (const file of readdirSync(dirPath)) {
      if (pythonSuffix(file).toLowerCase() !== '.json') continue;
      sessions.push(loadFile(JSON.parse(readFileSync(join(dirPath, file), 'utf8'))));
    }
  }
  return sessions;
}

// ---------------------------------------------------------------------------------------------
// chat_loaders/utils.py

/**
 * merge_chat_runs_in_session(session, delimiter="\n\n"):
 *   if not messages: append a copy
 *   elif same type as messages[-1] and messages[-1].sender is not None and == message.sender:
 *       messages[-1].content = (messages[-1].content + delimiter + message.content).strip()
 *   else: append a copy
 * The strip (Python whitespace) happens only when a merge happens: a lone message keeps its
 * surrounding white space. There is no time limit on a run. All messages are HumanMessages here.
 */
export function mergeChatRuns(session: LcSession, delimiter = '\n\n'): LcSession {
  const out: LcSession = [];
  for (const m of session) {
    const last = out[out.length - 1];
    if (last && last.type === m.type && last.sender !== null && last.sender !== undefined && last.sender === m.sender) {
      last.content = pyStrip(last.content + delimiter + m.content);
    } else {
      out.push({ ...m });
    }
  }
  return out;
}

/**
 * map_ai_messages_in_session(session, sender): a message whose additional_kwargs["sender"] == sender
 * (exact, case-sensitive; no Unicode normalisation) becomes an AIMessage.
 *
 * `senders` lets the caller pass more than one spelling: the preset's documented extension (see
 * presetSenders), not LangChain's, which takes one.
 */
export function mapAiMessages(session: LcSession, senders: readonly string[]): LcSession {
  return session.map((m) => (typeof m.sender === 'string' && senders.includes(m.sender) ? { ...m, type: 'ai' } : m));
}

// ---------------------------------------------------------------------------------------------
// adapters/openai.py

/**
 * convert_messages_for_finetuning(sessions): sessions without an AIMessage are dropped
 * (_has_assistant_message); each message becomes {"role": "user"|"assistant", "content": content}
 * (convert_message_to_dict; additional_kwargs holds only "sender", so no "name" is added).
 * Consecutive user messages stay separate: nothing merges them here.
 */
export function convertForFinetuning(sessions: readonly LcSession[]): OpenAiMessage[][] {
  return sessions
    .filter((s) => s.some((m) => m.type === 'ai'))
    .map((s) => s.map((m) => ({ role: m.type === 'ai' ? 'assistant' : 'user', content: m.content })));
}

// ---------------------------------------------------------------------------------------------
// The notebook

/**
 * for conv in training_data: for i in range(0, len(conv) - window + 1, window - overlap):
 *     {"messages": conv[i : i + window]}
 * A conversation shorter than the window gives nothing (the range is empty); turns after the last
 * full window are dropped; a window with no assistant message is kept (only its session needs one).
 */
export function chunk(convs: readonly OpenAiMessage[][], window: number, overlap: number): ExampleLine[] {
  if (!Number.isInteger(window) || window < 1 || !Number.isInteger(overlap) || overlap < 0 || overlap >= window) {
    throw new Error(`bad window/overlap ${window}/${overlap}`);
  }
  const step = window - overlap;
  const out: ExampleLine[] = [];
  for (const conv of convs) {
    for (let i = 0; i < conv.length - window + 1; i += step) out.push({ messages: conv.slice(i, i + window) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The preset as a whole

/** Meta's writing of a real string: its UTF-8 bytes as Latin-1 chars ("Zoë" -> "ZoÃ«"). */
export function mojibakeOf(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * The senders the preset maps to assistant for `--me`: the name exactly as given, and its mojibake
 * form (so `--me "Zoë"` matches a file that writes Zo\u00c3\u00ab). Documented extension: with a
 * name LangChain would be given as the file writes it, the result is the same.
 */
export function presetSenders(me: string): string[] {
  return [...new Set([me, mojibakeOf(me)])];
}

export interface ReferenceOptions {
  me: string;
  window?: number;
  overlap?: number;
}

/** merge_chat_runs -> map_ai_messages -> convert_messages_for_finetuning -> chunking. */
export function referenceExamples(sessions: readonly LcSession[], options: ReferenceOptions): ExampleLine[] {
  const senders = presetSenders(options.me);
  const mapped = sessions.map((s) => mapAiMessages(mergeChatRuns(s), senders));
  return chunk(convertForFinetuning(mapped), options.window ?? 8, options.overlap ?? 2);
}

/** The whole walkthrough on one thread file's parsed JSON. */
export function referenceFile(data: unknown, options: ReferenceOptions): ExampleLine[] {
  return referenceExamples([loadFile(data)], options);
}

/** The whole walkthrough on an export folder (<root>/inbox/*\/*.json). */
export function referenceFolder(root: string, options: ReferenceOptions): ExampleLine[] {
  return referenceExamples(loadFolder(root), options);
}

// ---------------------------------------------------------------------------------------------
// Comparing outputs

/** JSON with object keys sorted at every level: one spelling per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/** A multiset of lines (parsed JSON values) as a sorted list of canonical strings, for t.same. */
export function asMultiset(values: readonly unknown[]): string[] {
  return values.map(canonicalJson).sort();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
