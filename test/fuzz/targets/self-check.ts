// Targets that fail on purpose, one per kind of crash: the smoke test runs them
// to show the supervisor detects and minimises each kind. Not part of `npm run fuzz`.
import fc from 'fast-check';
import { RequestError } from '../../../src/errors.js';
import { check, type FuzzTarget } from '../target.js';

// A small range keeps minimising cheap: each candidate of an abort or a hang costs a fresh process.
const number = fc.integer({ min: 0, max: 20 });

export const selfCheckTargets: FuzzTarget<number>[] = [
  {
    name: 'self-check-abort',
    summary: 'aborts the process for n >= 17',
    input: number,
    run: (n) => {
      if (n >= 17) process.abort();
    },
  },
  {
    name: 'self-check-hang',
    summary: 'never returns for n >= 18',
    input: number,
    run: (n) => {
      if (n >= 18) for (;;) {}
    },
  },
  {
    name: 'self-check-throw',
    summary: 'throws a TypeError for n >= 10',
    input: number,
    run: (n) => {
      if (n >= 10) (null as unknown as { x: () => void }).x();
    },
  },
  {
    name: 'self-check-property',
    summary: 'violates a property for n >= 12',
    input: number,
    run: (n) => check(n < 12, 'n is below 12', () => String(n)),
  },
  {
    name: 'self-check-typed',
    summary: 'always throws a typed error, which is not a crash',
    input: number,
    run: () => {
      throw new RequestError('typed');
    },
  },
];
