import { expect } from 'chai';

/** The message of the error `fn` throws; fails the test when it throws nothing. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return expect.fail('expected an error to be thrown');
}
