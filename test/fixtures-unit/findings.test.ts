import { test, expect, type TestInfo } from '@playwright/test';
import { growingRedactor, reporterFor } from '../../fixtures/findings.ts';
import { NOTE_ANNOTATION } from '../../src/target/phases.ts';

test('a note on how a check ran is an annotation of its own type, with the run secrets redacted', () => {
  const secret = 'sk_9f2c41d0b7e64a1f8c3d5e7a9b1c2d3e';
  const annotations: TestInfo['annotations'] = [];
  const report = reporterFor(
    { annotations } as unknown as TestInfo,
    growingRedactor(() => [secret]),
  );
  report.note(`checked on the run's tenant, alone: the app said ${secret}`);
  expect(annotations).toHaveLength(1);
  expect(annotations[0]!.type).toBe(NOTE_ANNOTATION);
  expect(annotations[0]!.description).toMatch(/^checked on the run's tenant, alone: the app said /);
  expect(annotations[0]!.description).not.toContain(secret);
});

test("a worker's redactor takes in secrets issued after it was made, and never forgets one", () => {
  const first = 'at_3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e';
  const later = 'rt_7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b';
  let issued = [first];
  const redactor = growingRedactor(() => issued);
  const r = redactor();
  expect(r.redact(`token ${first}`)).not.toContain(first);
  expect(r.redact(`token ${later}`)).toContain(later);
  issued = [first, later];
  // One redactor for the worker, grown in place: checks share it.
  expect(redactor()).toBe(r);
  expect(r.redact(`token ${later}`)).not.toContain(later);
  // A list that no longer names a value (another emulator handle's order) keeps it redacted.
  issued = [later];
  expect(redactor().redact(`${first} ${later}`)).not.toMatch(/at_3b1f|rt_7e6d/);
});
