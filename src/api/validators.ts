/**
 * Request validation compilers. Query strings and path ids arrive as text, so they are coerced to
 * the declared types (`limit=10` → 10); JSON bodies already carry types, so they are NOT coerced: a
 * `null` stays null (reported as blank, or meaning "remove" where the API says so), `"5"` for a
 * number is a `not_a_number`, exactly as a strict client library expects.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// addUsedSchema off: the glue gives several route schemas the same $id, which must not collide.
const COMMON: Options = { allErrors: true, strict: false, useDefaults: false, removeAdditional: false, addUsedSchema: false };

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...COMMON, coerceTypes: coerce ? 'array' : false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('int64', true);
  ajv.addFormat('int32', true);
  ajv.addKeyword({ keyword: 'discriminator' }); // OpenAPI annotation on the seed's attribute_error
  return ajv;
}

/** One compiler for every route: strict for bodies, coercing for everything else. */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = makeAjv(true);
  const strict = makeAjv(false);
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}
