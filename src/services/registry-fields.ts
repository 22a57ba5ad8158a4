/**
 * Declarative attribute rules for the storage registry's resources, checked the same way for each
 * (blank, inclusion, too_long, invalid), so that five resources do not grow five validators.
 */
import { ValidationErrors, humanAttribute } from '../domain/errors.js';

export type FieldRule =
  | { kind: 'string'; required?: boolean; max?: number; pattern?: RegExp; patternMessage?: string }
  | { kind: 'enum'; required?: boolean; values: readonly string[] }
  | { kind: 'object' }
  | { kind: 'absolute_path'; required?: boolean }
  | { kind: 'url'; required?: boolean }
  /** A whole number of bytes, 0 or more (a share's quota). */
  | { kind: 'bytes' };

export type FieldRules = Record<string, FieldRule>;

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Checks the present attributes (all required ones too unless `partial`); returns the accepted subset. */
export function checkFields(input: Record<string, unknown>, rules: FieldRules, partial: boolean, errors: ValidationErrors): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [attr, rule] of Object.entries(rules)) {
    const v = input[attr];
    const H = humanAttribute(attr);
    if (v === undefined && partial) continue;
    if (blank(v)) {
      if ('required' in rule && rule.required) errors.add(attr, { error: 'blank' }, `${H} can't be blank`);
      else if (v !== undefined) out[attr] = rule.kind === 'object' ? {} : null;
      continue;
    }
    switch (rule.kind) {
      case 'string':
        if (typeof v !== 'string') errors.add(attr, { error: 'invalid' }, `${H} must be a string`);
        else if (v.length > (rule.max ?? 255)) errors.add(attr, { error: 'too_long', count: rule.max ?? 255 }, `${H} is too long (maximum is ${rule.max ?? 255} characters)`);
        else if (rule.pattern && !rule.pattern.test(v)) errors.add(attr, { error: 'invalid', value: v }, `${H} ${rule.patternMessage ?? 'is invalid'}`);
        else out[attr] = v;
        break;
      case 'enum':
        if (!rule.values.includes(v as string)) errors.add(attr, { error: 'inclusion', value: v }, `${H} is not included in the list (${rule.values.join(', ')})`);
        else out[attr] = v;
        break;
      case 'object':
        if (typeof v !== 'object' || Array.isArray(v)) errors.add(attr, { error: 'invalid' }, `${H} must be an object`);
        else out[attr] = v;
        break;
      case 'absolute_path':
        if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0') || v.split('/').includes('..')) {
          errors.add(attr, { error: 'invalid', value: v }, `${H} must be an absolute path without ..`);
        } else out[attr] = v.length > 1 ? v.replace(/\/+$/, '') : v;
        break;
      case 'bytes':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) errors.add(attr, { error: 'invalid', value: v }, `${H} must be a whole number of bytes (0 or more)`);
        else out[attr] = v;
        break;
      case 'url': {
        let ok = false;
        try {
          const u = new URL(String(v));
          ok = u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          ok = false;
        }
        if (!ok) errors.add(attr, { error: 'invalid', value: v }, `${H} must be an http(s) URL`);
        else out[attr] = v;
        break;
      }
    }
  }
  return out;
}
