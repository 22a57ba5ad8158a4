/**
 * Tape as the API describes it — libraries, drives, cartridges — taken from the types generated from
 * openapi/barge.json (src/api/openapi/types.ts, type-only). A field renamed in the contract breaks
 * the console's build instead of its Tape page. The generated fields are optional (readOnly in the
 * schema); Barge always sends them, so the shapes the page reads whole are made Required here.
 */
import type { components } from '../../../src/api/openapi/types';

type Schemas = components['schemas'];

export type TapeLibrary = Required<Omit<Schemas['tape_library'], 'tapes'>>;
export type TapeDrive = Required<Schemas['tape_drive']>;
export type Tape = Required<Schemas['tape']>;
export type TapeLocation = Tape['location'];
