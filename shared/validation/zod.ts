/**
 * The one place the project imports zod from.
 *
 * Why `zod/mini`: every Lambda pays at cold start for what it imports at module scope, and classic
 * `zod` costs ~445 KB and ~58 ms to import (FIELD-NOTES), most of it locales. `zod/mini` with the
 * English locale is ~15 KB. The English locale is loaded so that messages say what is wrong
 * ("expected number, received string") rather than "Invalid input".
 *
 * Why `z` is an object of named functions and not `export * as z`: re-exporting the whole
 * `zod/mini` namespace object keeps every export alive in a bundle — all ~50 locales, JSON Schema
 * generation — 420 KB and ~100 ms of module initialisation, as much as an empty Lambda's whole
 * start. Listing what we use lets esbuild drop the rest. Need another zod/mini function? Add it here.
 */
import * as zm from 'zod/mini';
import en from 'zod/v4/locales/en.js';

zm.config(en());

export const z = {
  // schemas
  any: zm.any,
  array: zm.array,
  bigint: zm.bigint,
  boolean: zm.boolean,
  custom: zm.custom,
  date: zm.date,
  discriminatedUnion: zm.discriminatedUnion,
  email: zm.email,
  enum: zm.enum,
  instanceof: zm.instanceof,
  int: zm.int,
  intersection: zm.intersection,
  iso: zm.iso,
  lazy: zm.lazy,
  literal: zm.literal,
  looseObject: zm.looseObject,
  never: zm.never,
  null: zm.null,
  nullable: zm.nullable,
  nullish: zm.nullish,
  number: zm.number,
  object: zm.object,
  optional: zm.optional,
  partial: zm.partial,
  pick: zm.pick,
  omit: zm.omit,
  extend: zm.extend,
  pipe: zm.pipe,
  record: zm.record,
  strictObject: zm.strictObject,
  string: zm.string,
  transform: zm.transform,
  tuple: zm.tuple,
  union: zm.union,
  unknown: zm.unknown,
  url: zm.url,
  uuid: zm.uuid,
  _default: zm._default,
  // checks
  endsWith: zm.endsWith,
  gt: zm.gt,
  gte: zm.gte,
  length: zm.length,
  lowercase: zm.lowercase,
  lt: zm.lt,
  lte: zm.lte,
  maxLength: zm.maxLength,
  maxSize: zm.maxSize,
  minLength: zm.minLength,
  minSize: zm.minSize,
  multipleOf: zm.multipleOf,
  negative: zm.negative,
  nonnegative: zm.nonnegative,
  positive: zm.positive,
  refine: zm.refine,
  regex: zm.regex,
  startsWith: zm.startsWith,
  trim: zm.trim,
  // parsing and configuration
  config: zm.config,
  parse: zm.parse,
  safeParse: zm.safeParse,
  prettifyError: zm.prettifyError,
};

// Types used as `z.infer<typeof Schema>`, `z.ZodMiniType`, `z.core.$ZodIssue`.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace z {
  export type infer<T> = zm.infer<T>;
  export type input<T> = zm.input<T>;
  export type output<T> = zm.output<T>;
  export type ZodMiniType<O = unknown, I = unknown> = zm.ZodMiniType<O, I>;
  export namespace core {
    export type $ZodIssue = zm.core.$ZodIssue;
    export type $ZodType = zm.core.$ZodType;
  }
}
export type { ZodMiniType } from 'zod/mini';
