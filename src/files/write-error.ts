// The writer's failures, all worded alike: the target, the file, what went wrong.
import { FileWriteError } from '../errors.js';

export function writeError(targetDir: string, filePath: string, detail: string, cause?: unknown): FileWriteError {
  return new FileWriteError(`failed to write the files into the target directory ${targetDir}: "${filePath}": ${detail}`, cause);
}

/** An unexpected system error: keeps it as the cause and names its errno code. */
export function systemWriteError(targetDir: string, filePath: string, err: unknown): FileWriteError {
  const { code, syscall } = err as NodeJS.ErrnoException;
  return writeError(targetDir, filePath, `${syscall ?? 'write'} failed: ${code ?? (err as Error)?.name ?? 'error'}`, err);
}
