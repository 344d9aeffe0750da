// Targets that fail on purpose, one per kind of crash: the smoke test runs them
// to show the supervisor detects and minimises each kind. Not part of `npm run fuzz`.
import fc from 'fast-check';
import { RequestError } from '../../../src/errors.js';
import { check, type FuzzTarget } from '../target.js';

const number = fc.integer({ min: 0, max: 1000 });

export const selfCheckTargets: FuzzTarget<number>[] = [
  {
    name: 'self-check-abort',
    summary: 'aborts the process for n >= 950',
    input: number,
    run: (n) => {
      if (n >= 950) process.abort();
    },
  },
  {
    name: 'self-check-hang',
    summary: 'never returns for n >= 970',
    input: number,
    run: (n) => {
      if (n >= 970) for (;;) {}
    },
  },
  {
    name: 'self-check-throw',
    summary: 'throws a TypeError for n >= 500',
    input: number,
    run: (n) => {
      if (n >= 500) (null as unknown as { x: () => void }).x();
    },
  },
  {
    name: 'self-check-property',
    summary: 'violates a property for n >= 600',
    input: number,
    run: (n) => check(n < 600, 'n is below 600', () => String(n)),
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
