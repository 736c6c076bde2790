/**
 * The checks on one parsed line, pure. Errors follow the cookbook's format checks one for one
 * (including its Python truthiness: an empty string, list or object is "missing"), plus `weight`.
 * Roles: the cookbook's system/user/assistant/function and the current format's `tool` are all
 * accepted, so a file valid for either is not flagged.
 */
import type { ErrorKind, WarningKind } from './issues.js';

export const ALLOWED_KEYS: ReadonlySet<string> = new Set(['role', 'content', 'name', 'function_call', 'weight']);
export const ALLOWED_ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool', 'function']);
const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export type Message = Record<string, unknown>;

export interface ExampleCheck {
  errors: Set<ErrorKind>;
  warnings: Set<WarningKind>;
  /** The messages that are objects, for counting tokens; null when there is no messages list. */
  messages: Message[] | null;
}

export function checkExample(value: unknown): ExampleCheck {
  const errors = new Set<ErrorKind>();
  const warnings = new Set<WarningKind>();
  if (!isObject(value)) {
    errors.add('data_type');
    return { errors, warnings, messages: null };
  }
  const list = value['messages'];
  if (!Array.isArray(list) || list.length === 0) {
    errors.add('missing_messages_list');
    return { errors, warnings, messages: null };
  }
  const messages: Message[] = [];
  for (const m of list) {
    if (!isObject(m)) {
      errors.add('data_type');
      continue;
    }
    messages.push(m);
    checkMessage(m, errors, warnings);
  }
  if (!messages.some((m) => m['role'] === 'assistant')) errors.add('example_missing_assistant_message');
  if (!messages.some((m) => m['role'] === 'user')) warnings.add('no_user_message');
  if (messages.length && messages[messages.length - 1]!['role'] === 'user') warnings.add('ends_on_user');
  return { errors, warnings, messages };
}

function checkMessage(m: Message, errors: Set<ErrorKind>, warnings: Set<WarningKind>): void {
  if (!('role' in m) || !('content' in m)) errors.add('message_missing_key');
  for (const key in m) {
    if (!ALLOWED_KEYS.has(key)) errors.add('message_unrecognized_key');
  }
  const role = m['role'];
  if (typeof role !== 'string' || !ALLOWED_ROLES.has(role)) errors.add('unrecognized_role');
  const content = m['content'];
  if ((!truthy(content) && !truthy(m['function_call'])) || typeof content !== 'string') errors.add('missing_content');
  if ('weight' in m && ((m['weight'] !== 0 && m['weight'] !== 1) || role !== 'assistant')) errors.add('invalid_weight');
  if ('name' in m && (typeof m['name'] !== 'string' || !NAME_PATTERN.test(m['name']))) warnings.add('invalid_name');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python's truthiness, which the cookbook's `not content` uses. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}
