/**
 * Which of `names` a failed import could not find (Node's ERR_MODULE_NOT_FOUND naming that package), or
 * undefined when the error is anything else. The server's packages are optional peers: this is how a
 * missing one is named instead of surfacing as a module-not-found stack.
 */
export function missingPackage(error: unknown, names: readonly string[]): string | undefined {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const message = String((error as Error).message);
  return names.find((name) => message.includes(`'${name}'`));
}
