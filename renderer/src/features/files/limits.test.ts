import { expect, test } from 'vitest';
import { CHUNK_BYTES as CONTRACT_CHUNK } from '../../../../core/api/contract.ts';
import { CHUNK_BYTES } from './limits.ts';

test('the chunk size the UI sends is the one the contract enforces', () => {
  expect(CHUNK_BYTES).toBe(CONTRACT_CHUNK);
});
