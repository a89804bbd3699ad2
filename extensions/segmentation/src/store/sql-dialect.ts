// Kept for importers: the dialects live in dialects/ (one class per database).
export { dialectOf, type Dialect } from './dialects/index.ts';
