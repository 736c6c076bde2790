#!/usr/bin/env node
/**
 * One benchmark variant over one file, in its own process so that its peak RSS is its own:
 *   node dist/bench/variant.js <read|parse|tokens|tokens-fast> FILE [--check]
 * Prints one JSON line: { variant, bytes, seconds, maxRssBytes, cpuSeconds, count }. `seconds` is
 * the work alone (no process start-up). With --check, `count` also holds the numbers compared
 * between variants (messages), which costs a little: the timed runs go without it.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTokenizer, type TokenizerOptions } from '../lib/core/tokenizer.js';

export const VARIANTS = ['read', 'parse', 'tokens', 'tokens-fast'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface VariantResult {
  variant: string;
  bytes: number;
  seconds: number;
  maxRssBytes: number;
  cpuSeconds: number;
  count: Record<string, number>;
}

const CHUNK = 64 * 1024;

/** (a) bytes read: the floor every parser stands on. */
async function readBytes(file: string): Promise<Record<string, number>> {
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    bytes += (chunk as Buffer).length;
    ++chunks;
  }
  return { bytes, chunks };
}

/** (b) the whole file at once: readFileSync + JSON.parse (fails past V8's string limit, ~512 MiB). */
function parseWhole(file: string): Record<string, number> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { messages: unknown[] };
  return { messages: doc.messages.length };
}

/**
 * (c) our tokenizer over 64 KB chunks, tokens counted and dropped. `fast: false` is stream-json's
 * parser alone (the tokenizer's `fastMessages: false`); `fast: true` the tokenizer's default, which
 * may hand the messages array to a scanner + JSON.parse.
 */
async function tokenize(file: string, fast: boolean, check: boolean): Promise<Record<string, number>> {
  // passed untyped: an option that disappears must not break the benchmark's build
  const options: Record<string, unknown> = { source: file, fastMessages: fast };
  const tokenizer = createTokenizer(options as TokenizerOptions);
  let tokens = 0;
  let messageValues = 0;
  let messages = 0;
  const count = (chunks: ReturnType<typeof tokenizer.push>) => {
    for (const c of chunks) {
      tokens += c.tokens.length;
      if (!check) continue;
      for (const t of c.tokens) {
        const tok = t as { name: string; value?: unknown };
        if (tok.name === 'keyValue' && tok.value === 'sender_name') ++messages;
        else if (tok.name === 'messageValues' && Array.isArray(tok.value)) {
          ++messageValues;
          messages += tok.value.length;
        }
      }
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) count(tokenizer.push(chunk as Buffer));
  count(tokenizer.flush());
  return check ? { tokens, messages, messageValues } : { tokens };
}

export async function runVariant(variant: Variant, file: string, check = false): Promise<VariantResult> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let count: Record<string, number>;
  switch (variant) {
    case 'read': count = await readBytes(file); break;
    case 'parse': count = parseWhole(file); break;
    case 'tokens': count = await tokenize(file, false, check); break;
    case 'tokens-fast': count = await tokenize(file, true, check); break;
    default: throw new TypeError(`unknown variant ${String(variant)}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    variant,
    bytes: statSync(file).size,
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    count,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [variant, file, ...rest] = process.argv.slice(2);
  if (!variant || !file || !(VARIANTS as readonly string[]).includes(variant)) {
    process.stderr.write(`usage: node dist/bench/variant.js <${VARIANTS.join('|')}> FILE [--check]\n`);
    process.exitCode = 2;
  } else {
    const result = await runVariant(variant as Variant, file, rest.includes('--check'));
    process.stdout.write(JSON.stringify(result) + '\n');
  }
}
