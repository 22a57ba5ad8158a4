/**
 * Reading numbers and flags from request bodies with Rails' error codes (`blank`, `not_a_number`,
 * `not_an_integer`, `greater_than_or_equal_to`, `less_than_or_equal_to`, `inclusion`), for the tape
 * resources' bodies, which the registry's string rules (registry-fields.ts) do not cover. A wrapped
 * body (`{tape_library: {…}}`) skips the document's schema, so every check is made here too.
 */
import { ValidationErrors, humanAttribute } from '../domain/errors.js';

interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  required?: boolean;
}

/** The number at `attr`, or undefined (absent, or refused: the problem is in `errors`). */
export function numberField(input: Record<string, unknown>, attr: string, rule: NumberRule, errors: ValidationErrors): number | undefined {
  const v = input[attr];
  const H = humanAttribute(attr);
  if (v === undefined || v === null || v === '') {
    if (rule.required) errors.add(attr, { error: 'blank' }, `${H} can't be blank`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    errors.add(attr, { error: 'not_a_number', value: v }, `${H} is not a number`);
    return undefined;
  }
  if (rule.integer && !Number.isInteger(v)) {
    errors.add(attr, { error: 'not_an_integer', value: v }, `${H} must be an integer`);
    return undefined;
  }
  if (v < rule.min) {
    errors.add(attr, { error: 'greater_than_or_equal_to', count: rule.min, value: v }, `${H} must be greater than or equal to ${rule.min}`);
    return undefined;
  }
  if (v > rule.max) {
    errors.add(attr, { error: 'less_than_or_equal_to', count: rule.max, value: v }, `${H} must be less than or equal to ${rule.max}`);
    return undefined;
  }
  return v;
}

/** The boolean at `attr`, or undefined (absent, or refused). */
export function boolField(input: Record<string, unknown>, attr: string, errors: ValidationErrors): boolean | undefined {
  const v = input[attr];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') {
    errors.add(attr, { error: 'inclusion', value: v }, `${humanAttribute(attr)} must be true or false`);
    return undefined;
  }
  return v;
}
