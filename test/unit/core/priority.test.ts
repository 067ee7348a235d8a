import { describe, expect, it } from 'vitest';
import { fieldPriority, priorityOf } from '../../../src/core/priority/priorityOf';

describe('priority rules', () => {
  it.each([
    ['status', 1],
    ['assignee', 2],
    ['title', 2],
    ['name', 2],
    ['description', 3],
    ['content', 3],
    ['dueDate', 3],
    ['completedAt', 3],
    ['tags', 4],
    ['customFields', 4],
    ['color', 5],
  ] as const)('a change of %s has priority %i', (field, priority) => {
    expect(fieldPriority(field)).toBe(priority);
    expect(priorityOf('update', { [field]: 'x' })).toBe(priority);
  });

  it('puts creates and deletes first', () => {
    expect(priorityOf('create', { color: 'red' })).toBe(1);
    expect(priorityOf('delete', undefined)).toBe(1);
  });

  it('takes the most urgent field of a patch', () => {
    expect(priorityOf('update', { tags: [], description: 'd', color: 'x' })).toBe(3);
    expect(priorityOf('update', { tags: [], status: 'done' })).toBe(1);
  });

  it('lets a table override the rules per field', () => {
    expect(priorityOf('update', { color: 'red' }, { color: 1 })).toBe(1);
    expect(priorityOf('update', { status: 'x' }, { status: 4 })).toBe(4);
  });
});
