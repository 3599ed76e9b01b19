import { test, expect, type TestInfo } from '@playwright/test';
import { reporterFor } from '../../fixtures/findings.ts';
import { NOTE_ANNOTATION } from '../../src/target/phases.ts';

test('a note on how a check ran is an annotation of its own type, with the run secrets redacted', () => {
  const secret = 'sk_9f2c41d0b7e64a1f8c3d5e7a9b1c2d3e';
  const annotations: TestInfo['annotations'] = [];
  const report = reporterFor({ annotations } as unknown as TestInfo, () => [secret]);
  report.note(`checked on the run's tenant, alone: the app said ${secret}`);
  expect(annotations).toHaveLength(1);
  expect(annotations[0]!.type).toBe(NOTE_ANNOTATION);
  expect(annotations[0]!.description).toMatch(/^checked on the run's tenant, alone: the app said /);
  expect(annotations[0]!.description).not.toContain(secret);
});
