import { expect, test } from 'vitest';
import { MAX_WRITE_BYTES } from '../../../../core/api/contract.ts';
import { MAX_UPLOAD_BYTES } from './limits.ts';

test('the upload limit the UI checks is the one the contract enforces', () => {
  expect(MAX_UPLOAD_BYTES).toBe(MAX_WRITE_BYTES);
});
