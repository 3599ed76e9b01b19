// Prints one line per failed test, matrix case or package step from the JSON results the CI run
// wrote, so the closing lines of a CI log name what failed (only its tail may be kept).
const { readFileSync, existsSync } = require('node:fs');

const read = (path) => {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
};
const lines = [];
const firstLine = (text) =>
  String(text ?? '')
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .find((l) => l.trim()) ?? '';

const unit = read('test-results/unit-results.json');
const walk = (suite, path) => {
  for (const spec of suite.specs ?? []) {
    for (const test of spec.tests ?? []) {
      if (test.status !== 'unexpected') continue;
      const last = test.results?.[test.results.length - 1];
      const why = firstLine(last?.error?.message ?? last?.errors?.[0]?.message);
      lines.push(`unit: ${[...path, spec.title].join(' › ')}${why ? ` — ${why.slice(0, 200)}` : ''}`);
    }
  }
  for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
};
for (const suite of unit?.suites ?? []) walk(suite, [suite.title]);
for (const error of unit?.errors ?? []) lines.push(`unit: ${firstLine(error.message).slice(0, 200)}`);

for (const row of read('test-results/matrix-results.json')?.rows ?? []) {
  if (!row.ok)
    lines.push(`matrix: ${row.app}:${row.defect} — ${row.note ?? `verdict ${row.verdict}`}`.slice(0, 300));
}
for (const step of read('test-results/package-results.json')?.steps ?? []) {
  if (!step.ok) lines.push(`package: ${step.name} — ${step.detail ?? ''}`.slice(0, 300));
}
if (lines.length) console.log(`ci: what failed:\n${lines.map((l) => `ci:   ${l}`).join('\n')}`);
