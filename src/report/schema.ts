/**
 * Validation of `readiness.json` against the published JSON Schema
 * (`schema/readiness-report.schema.json`, draft 2020-12). This module is the one adapter around
 * ajv's CommonJS exports.
 *
 * @example
 * ```ts
 * const { ok, errors } = validateReport(JSON.parse(readFileSync('preflight-report/readiness.json', 'utf8')));
 * ```
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';

/** Where the schema lives in the package. */
export const REPORT_SCHEMA_URL = new URL('../../schema/readiness-report.schema.json', import.meta.url);

export interface SchemaValidation {
  ok: boolean;
  /** One line per problem: `<JSON pointer> <message>`. */
  errors: string[];
}

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;

// ajv-formats is CommonJS: depending on the loader its plugin is the namespace's default or
// the default's default.
function formatsPlugin(): FormatsPlugin {
  const mod = ajvFormats as unknown as { default: FormatsPlugin | { default: FormatsPlugin } };
  return typeof mod.default === 'function' ? mod.default : mod.default.default;
}

let compiled: ValidateFunction | undefined;

export function loadReportSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(REPORT_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    formatsPlugin()(ajv);
    compiled = ajv.compile(loadReportSchema());
  }
  return compiled;
}

export function validateReport(value: unknown): SchemaValidation {
  const validate = validator();
  if (validate(value)) return { ok: true, errors: [] };
  const errors = (validate.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
        : e.keyword === 'enum'
          ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
          : '';
    return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}`;
  });
  return { ok: false, errors };
}
