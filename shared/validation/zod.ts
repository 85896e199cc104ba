/**
 * The one place the project imports zod from.
 *
 * Why `zod/mini`: every Lambda pays at cold start for what it imports at module scope, and classic
 * `zod` costs ~445 KB and ~58 ms to import (FIELD-NOTES), most of it locales. `zod/mini` with the
 * English locale is ~15 KB. The English locale is loaded so that messages say what is wrong
 * ("expected number, received string") rather than "Invalid input".
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export { z };
export type { ZodMiniType } from 'zod/mini';
