/**
 * Starting, waiting for and stopping the app under test, and capturing its output (the output is
 * scanned for leaked secrets by LOG-NO-SECRETS, and its tail explains an app that never got ready).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'undici';

export class TargetError extends Error {
  readonly code: 'APP_NOT_READY' | 'APP_EXITED' | 'APP_UNREACHABLE';
  readonly logTail: string[];
  constructor(code: TargetError['code'], message: string, logTail: string[] = []) {
    super(message);
    this.name = 'TargetError';
    this.code = code;
    this.logTail = logTail;
  }
}

const STACK_FRAME = /^\s*(?:at\s|File "|#\d+\s|\.\.\.\s\d+\smore|\^+\s*$)/;

/**
 * The line of an app's output that says why it failed: the last `SomethingError: ...` /
 * `...Exception: ...` line, else the last line naming a failure, else the last line that is not
 * a stack frame. Stack frames alone tell the user nothing.
 */
export function failureLine(lines: readonly string[]): string | undefined {
  const candidates = lines.map((l) => l.trim()).filter((l) => l && !STACK_FRAME.test(l));
  const last = (re: RegExp) => [...candidates].reverse().find((l) => re.test(l));
  return (
    last(/^(?:[\w.]*(?:Error|Exception)|Fatal error|panic|Traceback)\b.*:/) ??
    last(/\b(?:error|exception|EADDRINUSE|ECONNREFUSED|cannot|could not|not found|denied|fatal)\b/i) ??
    candidates.at(-1)
  );
}

/** Replace port numbers of URLs and host:port pairs (not file:line:column positions). */
export function redactPorts(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/(?:\[[0-9a-f:]+\]|[^\s/:?#]+)):\d{1,5}\b/gi, '$1:<port>')
    .replace(/(?<![\w/.-])((?:\d{1,3}(?:\.\d{1,3}){3})|localhost|\[[0-9a-f:]+\]):\d{1,5}\b/gi, '$1:<port>');
}

export interface TargetProcess {
  readonly pid: number | undefined;
  /** Every line the app wrote to stdout/stderr so far (bounded to the last 20 000 lines). */
  output(): string[];
  /** Output lines written after `mark` (a value returned by {@link outputMark}). */
  outputSince(mark: number): string[];
  outputMark(): number;
  exitCode(): number | null;
  /** Resolves when the process exits, or with null after timeoutMs. */
  waitForExit(timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Called for each output line (after capture). */
  onLine?: (line: string) => void;
}

const MAX_LINES = 20_000;

export function startProcess(options: StartOptions): TargetProcess {
  const child: ChildProcess = spawn(options.command, {
    cwd: options.cwd,
    env: options.env,
    shell: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  const lines: string[] = [];
  let dropped = 0;
  let exit: number | null = null;
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = code ?? (signal ? 128 : 1);
      resolve(exit);
    });
    child.on('error', (err) => {
      lines.push(`[so-preflight] could not start "${options.command}": ${err.message}`);
      exit = 127;
      resolve(127);
    });
  });
  const collect = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        options.onLine?.(line);
      }
      if (lines.length > MAX_LINES) {
        const extra = lines.length - MAX_LINES;
        lines.splice(0, extra);
        dropped += extra;
      }
    });
    stream.on('end', () => {
      if (partial) lines.push(partial);
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid && process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };

  return {
    pid: child.pid,
    output: () => [...lines],
    outputMark: () => dropped + lines.length,
    outputSince: (mark) => lines.slice(Math.max(0, mark - dropped)),
    exitCode: () => exit,
    waitForExit: (timeoutMs) =>
      Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref())]),
    async stop() {
      if (exit !== null) return;
      kill('SIGTERM');
      const done = await Promise.race([
        exited,
        new Promise<null>((r) => setTimeout(() => r(null), 3000).unref()),
      ]);
      if (done === null) {
        kill('SIGKILL');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
    },
  };
}

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false }, connectTimeout: 2000 });

/** One bounded GET; resolves with the status, or undefined when nothing answered. */
export async function probeUrl(url: string, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const { request } = await import('undici');
    const res = await request(url, {
      method: 'GET',
      dispatcher: insecureAgent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return undefined;
  }
}

/**
 * Polls `url` until it answers with a status below 500, the process exits, or `timeoutMs` passes.
 */
export async function waitUntilReady(url: string, timeoutMs: number, proc?: TargetProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode() !== null) {
      throw new TargetError(
        'APP_EXITED',
        `the app exited with code ${proc.exitCode()} before ${url} answered`,
        proc.output().slice(-15),
      );
    }
    last = await probeUrl(url, Math.min(2000, Math.max(200, deadline - Date.now())));
    if (last !== undefined && last < 500) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new TargetError(
    'APP_NOT_READY',
    `the app did not answer ${url} within ${Math.round(timeoutMs / 1000)} s${last ? ` (last status ${last})` : ''}`,
    proc?.output().slice(-15) ?? [],
  );
}
