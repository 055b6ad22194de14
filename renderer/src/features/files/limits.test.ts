import { expect, test } from 'vitest';
import { CHUNK_BYTES as CONTRACT_CHUNK, UPLOAD_DEPTH as CONTRACT_DEPTH } from '../../../../core/contract/contract.ts';
import { CHUNK_BYTES, UPLOAD_DEPTH } from './limits.ts';

test('the chunk size and upload depth the UI uses are the ones the contract enforces', () => {
  expect(CHUNK_BYTES).toBe(CONTRACT_CHUNK);
  expect(UPLOAD_DEPTH).toBe(CONTRACT_DEPTH);
});
