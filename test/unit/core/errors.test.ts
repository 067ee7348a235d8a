import { describe, expect, it } from 'vitest';
import { ChartsyncError, isChartsyncError } from '../../../src/core/errors';

describe('ChartsyncError', () => {
  it('carries a code, context and the native cause', () => {
    const cause = new Error('disk full');
    const error = new ChartsyncError('ROW_NOT_FOUND', 'Cannot update tasks/t1: put it first.', { cause, context: { table: 'tasks' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ChartsyncError');
    expect(error.code).toBe('ROW_NOT_FOUND');
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ table: 'tasks' });
  });

  it('is recognised by isChartsyncError, optionally by code', () => {
    const error = new ChartsyncError('AUTH', 'Token expired: pass a fresh token.');
    expect(isChartsyncError(error)).toBe(true);
    expect(isChartsyncError(error, 'AUTH')).toBe(true);
    expect(isChartsyncError(error, 'NETWORK')).toBe(false);
    expect(isChartsyncError(new Error('x'))).toBe(false);
  });
});
