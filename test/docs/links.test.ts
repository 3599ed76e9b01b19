/**
 * README.md and docs/: every relative link resolves to a file of the repository (and, into a
 * Markdown page, to one of its headings), and no text points outside the repository, which users
 * of the project do not have.
 */
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT, anchor } from './gen-rule-docs.ts';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? markdownFiles(p) : p.endsWith('.md') ? [p] : [];
  });
}

const PAGES = [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs'))];
const DOC_FILES = [
  ...PAGES,
  ...readdirSync(join(REPO_ROOT, 'docs', 'ci')).map((f) => join(REPO_ROOT, 'docs', 'ci', f)),
];

/** Heading anchors of a Markdown page, as GitHub makes them. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!.replace(/[`*_]|\[|\]\([^)]*\)/g, ''))),
  );
}

/** `[text](target)` links outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

test('relative links in README.md and docs/ resolve inside the repository', () => {
  let checked = 0;
  for (const file of PAGES) {
    const where = relative(REPO_ROOT, file);
    for (const link of linksOf(file)) {
      if (/^(https?:|mailto:)/.test(link)) continue;
      const [path, hash] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), path) : file;
      expect(relative(REPO_ROOT, target).startsWith('..'), `${where}: ${link} leaves the repository`).toBe(
        false,
      );
      expect(existsSync(target), `${where}: ${link} does not exist`).toBe(true);
      if (hash && target.endsWith('.md'))
        expect(anchorsOf(target), `${where}: ${link} names no heading`).toContain(hash);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(20);
});

test('no path outside the repository in README.md, docs/ or action.yml', () => {
  for (const file of [...DOC_FILES, join(REPO_ROOT, 'action.yml')]) {
    const text = readFileSync(file, 'utf8');
    const where = relative(REPO_ROOT, file);
    expect(text, where).not.toMatch(/\.\.\/shared\b|\/work\/|shared\/design|shared\/superoffice/);
  }
});
