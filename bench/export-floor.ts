#!/usr/bin/env node
/**
 * The per-byte floor of converting an export in JavaScript, a row of the export bench
 * (bench/export.ts): every thread file the CLI converts by default read whole, `JSON.parse`d, and
 * its texts written back as chat lines with `JSON.stringify`, UTF-8 encoded to stdout. Nothing
 * else: no header, index or owner, no mojibake repair, no order, merge, windows or checks, no
 * workers. What fbstream does on top of this has to fit in the time between this row and a target.
 *
 *   node dist/bench/export-floor.js ROOT [E2EE_DOWNLOAD_ROOT]
 *
 * ROOT: an export's folder as bench/export-tree.ts writes it (`<root>/.../messages/<section>/<thread>/
 * message_N.json`); the E2EE download beside it: `<dir>/messages/*.json`. Prints
 * `floor: N files, B bytes, L lines, O bytes out` to stderr.
 */
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONVERTED_SECTIONS } from './export-plan.js';

/** A line per this many texts, about an example's worth. */
const TEXTS_PER_LINE = 8;
const OUT_BYTES = 1 << 20;

const isConvertedSection = (name: string) => (CONVERTED_SECTIONS as readonly string[]).includes(name);

/** A thread file of a converted section, or an E2EE download's (`<dir>/messages/*.json`, outside the export's tree). */
function isFloorFile(dir: string, name: string, inSection: boolean): boolean {
  if (inSection) return /^message_\d+\.json$/.test(name);
  return name.endsWith('.json') && dir.endsWith('/messages') && !dir.includes('your_facebook_activity');
}

/** The thread files under `root` in the sections converted by default, and an E2EE download's files. */
export function floorFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, inSection: boolean): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, inSection || isConvertedSection(e.name));
      else if (e.isFile() && isFloorFile(dir, e.name, inSection)) files.push(path);
    }
  };
  walk(root, false);
  return files;
}

class Out {
  readonly #buf = Buffer.allocUnsafe(OUT_BYTES);
  readonly #encoder = new TextEncoder();
  #used = 0;
  bytes = 0;
  constructor(readonly fd: number) {}
  write(text: string): void {
    for (;;) {
      const { read, written } = this.#encoder.encodeInto(text, this.#buf.subarray(this.#used));
      this.#used += written;
      if (read === text.length) return;
      text = text.slice(read);
      this.flush();
    }
  }
  flush(): void {
    for (let at = 0; at < this.#used; ) at += writeSync(this.fd, this.#buf, at, this.#used - at);
    this.bytes += this.#used;
    this.#used = 0;
  }
}

/** A classic thread file's messages hold `content`, an E2EE download's `text`. */
interface Doc {
  messages?: { content?: unknown; text?: unknown }[];
}

export function runFloor(roots: string[], fd = 1): { files: number; bytes: number; lines: number; outBytes: number } {
  const decoder = new TextDecoder();
  const out = new Out(fd);
  let bytes = 0;
  let lines = 0;
  let files = 0;
  for (const root of roots) {
    for (const file of floorFiles(root)) {
      const raw = readFileSync(file);
      bytes += raw.length;
      ++files;
      const doc = JSON.parse(decoder.decode(raw)) as Doc;
      let text = '';
      let group: { role: string; content: string }[] = [];
      for (const m of doc.messages ?? []) {
        const content = m.content ?? m.text;
        if (typeof content !== 'string') continue;
        group.push({ role: 'user', content });
        if (group.length < TEXTS_PER_LINE) continue;
        text += '{"messages":' + JSON.stringify(group) + '}\n';
        group = [];
        ++lines;
        if (text.length >= 16 * 1024) {
          out.write(text);
          text = '';
        }
      }
      if (group.length) {
        text += '{"messages":' + JSON.stringify(group) + '}\n';
        ++lines;
      }
      if (text) out.write(text);
    }
  }
  out.flush();
  return { files, bytes, lines, outBytes: out.bytes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const roots = process.argv.slice(2);
  if (roots.length === 0) {
    process.stderr.write('usage: node dist/bench/export-floor.js ROOT [E2EE_DOWNLOAD_ROOT]\n');
    process.exitCode = 2;
  } else {
    const r = runFloor(roots);
    process.stderr.write(`floor: ${r.files} files, ${r.bytes} bytes, ${r.lines} lines, ${r.outBytes} bytes out\n`);
  }
}
