/**
 * Shard results travel inside the report folder (`blob/`, Playwright's blob report), so they are
 * artifacts like the rest and must hold no secret. Playwright records every API step with its
 * parameters (the password the flow driver types into SuperID's login page, URLs it opens), the
 * tests' stdout, and attachments such as error-context page snapshots; the readiness reporter
 * that renders the merged report uses none of them. {@link sanitizeBlobs} rewrites each blob ZIP
 * after a shard run: step and stdio events dropped, attachments other than findings dropped, and
 * every remaining event passed through the generic redactor (findings were already redacted in
 * the worker with the run's secret values).
 *
 * It also makes the blob self-contained: file evidence (screenshots) lives in the run's temporary
 * artifacts folder, gone after the shard run and absent on the machine that merges. Each evidence
 * file a finding names is stored in the ZIP (as `resources/so-preflight-evidence-<sha1>.<ext>`),
 * the finding pointing at `so-preflight-evidence/<sha1>.<ext>`; `so-preflight report` unpacks them
 * to that folder of the output folder, where the report writer resolves relative evidence paths.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { createRedactor } from '../evidence/redact.ts';
import { FINDING_CONTENT_TYPE, decodeFinding, encodeFinding } from '../findings.ts';

/** Folder (in a blob ZIP, and in the output folder while merging) that holds evidence files. */
export const EVIDENCE_DIR = 'so-preflight-evidence';
/** Their names in the ZIP: `playwright merge-reports` unpacks every entry and makes only `resources/`. */
const ZIP_PREFIX = `resources/${EVIDENCE_DIR}-`;

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const DROPPED_EVENTS = new Set(['onStepBegin', 'onStepEnd', 'onStdOut', 'onStdErr']);

/** The entries of a ZIP archive (stored or deflated; no ZIP64), as Playwright writes blobs. */
export function readZip(zip: Buffer): ZipEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a ZIP archive');
  const entries: ZipEntry[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('damaged ZIP central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw new Error(`ZIP entry ${name} uses compression method ${method}`);
    entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** A ZIP archive of the entries, deflated. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = deflateRawSync(entry.data);
    const crc = crc32(entry.data) >>> 0;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8);
    head.writeUInt16LE(0, 10);
    head.writeUInt16LE(0x21, 12); // 1980-01-01
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(entry.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt16LE(0, 12);
    dir.writeUInt16LE(0x21, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(entry.data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(head, name, data);
    central.push(dir, name);
    offset += head.length + name.length + data.length;
  }
  const size = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

interface Attachment {
  contentType?: string;
  path?: string;
  base64?: string;
}

/** Only findings: the one kind of attachment the readiness reporter reads. */
function keepAttachments(value: unknown): Attachment[] {
  return Array.isArray(value)
    ? (value as Attachment[]).filter((a) => a?.contentType === FINDING_CONTENT_TYPE)
    : [];
}

/** Stores the finding's evidence files in `files` and points the finding at them. */
function embedEvidence(attachment: Attachment, files: Map<string, Buffer>): void {
  if (!attachment.base64) return;
  const decoded = decodeFinding(Buffer.from(attachment.base64, 'base64'));
  if (!decoded.ok) return;
  let changed = false;
  const evidence = decoded.finding.evidence.map((e) => {
    if (e.kind !== 'file' || !isAbsolute(e.path) || !existsSync(e.path)) return e;
    const data = readFileSync(e.path);
    const ext = /^\.[a-z0-9]{1,8}$/i.test(extname(e.path)) ? extname(e.path).toLowerCase() : '.bin';
    const name = `${createHash('sha1').update(data).digest('hex')}${ext}`;
    files.set(`${ZIP_PREFIX}${name}`, data);
    changed = true;
    return { ...e, path: `${EVIDENCE_DIR}/${name}` };
  });
  if (changed) attachment.base64 = encodeFinding({ ...decoded.finding, evidence }).toString('base64');
}

/**
 * One blob's events, sanitized; the resource files the kept events still refer to; and the
 * evidence files the kept findings name (when `evidence` is given, read from disk into it).
 */
export function sanitizeEvents(
  jsonl: string,
  evidence?: Map<string, Buffer>,
): { jsonl: string; resources: Set<string> } {
  const redactor = createRedactor([]);
  const resources = new Set<string>();
  const lines: string[] = [];
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { method?: string; params?: Record<string, unknown> };
    if (event.method && DROPPED_EVENTS.has(event.method)) continue;
    const params = event.params;
    if (params && event.method === 'onAttach') params['attachments'] = keepAttachments(params['attachments']);
    const result = params?.['result'] as Record<string, unknown> | undefined;
    if (result && 'attachments' in result) result['attachments'] = keepAttachments(result['attachments']);
    for (const a of [
      ...keepAttachments(params?.['attachments']),
      ...keepAttachments(result?.['attachments']),
    ]) {
      if (a.path) resources.add(a.path);
      if (evidence) embedEvidence(a, evidence);
    }
    lines.push(JSON.stringify(redactor.redactDeep(event)));
  }
  return { jsonl: `${lines.join('\n')}\n`, resources };
}

/** Unpacks the evidence files stored in the blob ZIPs into `outDir/so-preflight-evidence/`; returns how many. */
export function unpackEvidence(zipFiles: readonly string[], outDir: string): number {
  let n = 0;
  for (const file of zipFiles) {
    for (const entry of readZip(readFileSync(file))) {
      const name = entry.name.slice(ZIP_PREFIX.length);
      if (!entry.name.startsWith(ZIP_PREFIX) || !/^[0-9a-f]{40}\.[a-z0-9]{1,8}$/.test(name)) continue;
      mkdirSync(join(outDir, EVIDENCE_DIR), { recursive: true });
      writeFileSync(join(outDir, EVIDENCE_DIR, name), entry.data);
      n++;
    }
  }
  return n;
}

/**
 * Sanitizes every blob ZIP in `dir` in place, storing the evidence files its findings name (call
 * it before the run's artifacts folder is removed).
 */
export function sanitizeBlobs(dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
    const path = join(dir, file);
    const entries = readZip(readFileSync(path));
    const kept: ZipEntry[] = [];
    const referenced = new Set<string>();
    const evidence = new Map<string, Buffer>();
    for (const entry of entries.filter((e) => e.name.endsWith('.jsonl'))) {
      const { jsonl, resources } = sanitizeEvents(entry.data.toString('utf8'), evidence);
      kept.push({ name: entry.name, data: Buffer.from(jsonl, 'utf8') });
      for (const r of resources) referenced.add(r);
    }
    for (const entry of entries) {
      if (!entry.name.endsWith('.jsonl') && referenced.has(entry.name)) kept.push(entry);
    }
    for (const [name, data] of evidence) kept.push({ name, data });
    writeFileSync(path, writeZip(kept));
  }
}
