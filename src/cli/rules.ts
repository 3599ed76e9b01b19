/** `so-preflight rules [--json]`: the catalog. */
import { parseArgs } from 'node:util';
import { RULES } from '../rules/index.ts';

export function printRules(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.json) {
    console.log(JSON.stringify(RULES, null, 2));
    return 0;
  }
  const width = Math.max(...RULES.map((r) => r.id.length));
  for (const r of RULES) {
    const sev = [
      r.severity.standard ? `S:${r.severity.standard}` : '',
      r.severity.custom ? `C:${r.severity.custom}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    console.log(
      `${r.id.padEnd(width)}  ${r.category.padEnd(13)} ${r.automation.padEnd(9)} ${sev.padEnd(30)} ${r.title}`,
    );
  }
  console.log(
    `\n${RULES.length} rules. "so-preflight rules --json" prints every field, with remediation and docs links.`,
  );
  return 0;
}
