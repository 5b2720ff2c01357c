// The package's two entries, as the README lists them: the internal one exports exactly what
// the adapters and benchmarks use, and none of it is part of the public API.
import { expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

const INTERNAL = [
  'COLUMNS_PATH',
  'COLUMNS_VERSION',
  'OPTION_NAMES',
  'RecordBatch',
  'SERIALISE_SLICE',
  'batchOf',
  'columnsBody',
  'encodeBatch',
  'isoDate',
  'rowsBody',
  'rowsBodySliced',
  'runtime',
  'stripQuery',
  'wholeBatch',
];

it('@apilens/core/internal exports the listed internals, which @apilens/core does not', () => {
  expect(Object.keys(internal).sort()).toEqual(INTERNAL);
  expect(Object.keys(main).filter((name) => INTERNAL.includes(name))).toEqual([]);
});
